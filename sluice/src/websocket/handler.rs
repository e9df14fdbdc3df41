//! WebSocket handlers, and the endpoint that answers their handshakes.
//!
//! The endpoint extracts the handler's arguments, starts the handler as a
//! task of its own, and waits for its first decision: `accept` answers
//! `101` (and hands the connection over once that has been sent), `close`
//! answers `403`; a handler that ends first is answered `403` too, or with
//! its error's response. Everything after the `101` happens in the task.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use http::header::{SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL};
use http::request::Parts;
use http::{HeaderMap, StatusCode};

use super::handshake;
use super::io::PendingUpgrade;
use super::socket::{self, Decision, Link, WebSocket, WebSocketError};
use crate::error::{Error, Panic, ValidationError};
use crate::extract::{Declaration, FromRequestParts, RequestContext};
use crate::handler::RouteHandler;
use crate::lifecycle::{self, Lifecycle};
use crate::request::Request;
use crate::response::{attach_error, IntoResponse, Response, ResponseExt};
use crate::shared::{Shared, SharedHandles};
use crate::stack::{panic_response, short_type_name, Endpoint};

/// A handler's session, once its arguments are extracted.
type Session = BoxFuture<'static, Result<(), Error>>;

/// An async function that handles WebSocket connections: up to 15
/// extractor arguments ([`Path`](crate::Path), [`Query`](crate::Query),
/// [`Headers`](crate::extract::Headers), [`State`](crate::State),
/// [`Local`](crate::extract::Local), [`Dep`](crate::Dep), ...) and a
/// [`WebSocket`] last, returning `()` or a `Result<(), E>`.
///
/// You never implement this trait; plain `async fn`s get it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid sluice WebSocket handler",
    label = "not a WebSocket handler",
    note = "a WebSocket handler is an `async fn` whose last argument is `WebSocket`, whose other arguments are extractors that do not read the body (`Path`, `Query`, `Headers`, `State`, `Dep`, ...), and which returns `()` or `Result<(), E>`",
    note = "a model in `Query<T>`, `Path<T>` or `Headers<T>` needs `#[derive(schemars::JsonSchema)]` beside serde's derive",
    note = "its future must be `Send`: drop a `std::sync::MutexGuard`, `Rc` or `RefCell` borrow before the next `.await`"
)]
pub trait WebSocketHandler<T>: Clone + Send + Sync + Sized + 'static {
    /// Extracts the arguments and returns the session to run.
    #[doc(hidden)]
    fn extract<'a>(
        self,
        parts: &'a mut Parts,
        cx: &'a RequestContext,
        socket: WebSocket,
    ) -> impl Future<Output = Result<Session, Response>> + Send + 'a;

    /// Lets each argument check, when the app is built, that it can work
    /// on the route.
    #[doc(hidden)]
    fn declare(decl: &mut Declaration<'_>) {
        let _ = decl;
    }
}

/// What a WebSocket handler may return: `()`, or a `Result<(), E>` whose
/// error closes the socket with 1011 (or, before `accept`, answers the
/// handshake with the error's response).
pub trait SessionResult: Send {
    /// The result as sluice handles it.
    #[doc(hidden)]
    fn into_result(self) -> Result<(), Error>;
}

impl SessionResult for () {
    fn into_result(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<E: Into<Error> + Send> SessionResult for Result<(), E> {
    fn into_result(self) -> Result<(), Error> {
        self.map_err(Into::into)
    }
}

macro_rules! impl_websocket_handler {
    ($($ty:ident),*) => {
        #[allow(non_snake_case, unused_variables)]
        impl<F, Fut, R, $($ty,)*> WebSocketHandler<($($ty,)*)> for F
        where
            F: FnOnce($($ty,)* WebSocket) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: SessionResult + 'static,
            $( $ty: FromRequestParts + 'static, )*
        {
            async fn extract<'a>(
                self,
                parts: &'a mut Parts,
                cx: &'a RequestContext,
                socket: WebSocket,
            ) -> Result<Session, Response> {
                $(
                    let $ty = match $ty::from_request_parts(parts, cx).await {
                        Ok(value) => value,
                        Err(rejection) => return Err(rejection.into_response()),
                    };
                )*
                Ok(Box::pin(async move { self($($ty,)* socket).await.into_result() }))
            }

            fn declare(decl: &mut Declaration<'_>) {
                $( $ty::declare(decl); )*
            }
        }
    };
}

impl_websocket_handler!();
impl_websocket_handler!(T1);
impl_websocket_handler!(T1, T2);
impl_websocket_handler!(T1, T2, T3);
impl_websocket_handler!(T1, T2, T3, T4);
impl_websocket_handler!(T1, T2, T3, T4, T5);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
impl_websocket_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15);

/// A [`WebSocketHandler`] with its argument types fixed, as a route holds it.
pub(crate) struct WebSocketSpec<H, T> {
    handler: H,
    _marker: PhantomData<fn() -> T>,
}

impl<H, T> WebSocketSpec<H, T> {
    pub(crate) fn new(handler: H) -> Self {
        WebSocketSpec {
            handler,
            _marker: PhantomData,
        }
    }
}

impl<H, T> RouteHandler for WebSocketSpec<H, T>
where
    H: WebSocketHandler<T>,
    T: 'static,
{
    fn endpoint(&self, shared: &Arc<Shared>) -> Arc<dyn Endpoint> {
        Arc::new(WebSocketEndpoint::<H, T> {
            handler: self.handler.clone(),
            shared: SharedHandles::new(shared.clone()),
            name: short_type_name(std::any::type_name::<H>()),
            _marker: PhantomData,
        })
    }

    fn declare(&self, decl: &mut Declaration<'_>) {
        H::declare(decl);
    }

    fn name(&self) -> Option<&'static str> {
        crate::handler::fn_name::<H>()
    }
}

struct WebSocketEndpoint<H, T> {
    handler: H,
    shared: SharedHandles,
    name: &'static str,
    _marker: PhantomData<fn() -> T>,
}

impl<H, T> Endpoint for WebSocketEndpoint<H, T>
where
    H: WebSocketHandler<T>,
    T: 'static,
{
    fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        Box::pin(self.handshake(req))
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.name)
    }
}

impl<H, T> WebSocketEndpoint<H, T>
where
    H: WebSocketHandler<T>,
    T: 'static,
{
    async fn handshake(&self, mut req: Request) -> Response {
        let Some(key) = req.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
            // The router checks the handshake before it gets here; a
            // route middleware removed the key.
            return handshake::refusal();
        };
        let Some(mut upgrade) = PendingUpgrade::take(&mut req) else {
            return Error::msg(
                "this connection cannot be upgraded to a WebSocket: the server does not support \
                 HTTP/1.1 upgrades (sluice's server and TestClient::websocket do)",
            )
            .into_response();
        };
        let subprotocols = requested_subprotocols(req.headers());
        let mut cx = RequestContext::new(&req, &self.shared);
        let (mut parts, _body) = req.into_http_request().into_parts();
        let (link, decided) = Link::new();
        let socket = WebSocket::new(
            link.clone(),
            subprotocols,
            self.shared.shared().sockets().closing.clone(),
        );
        let extracted = AssertUnwindSafe(self.handler.clone().extract(&mut parts, &cx, socket))
            .catch_unwind()
            .await;
        let session = match extracted {
            Ok(Ok(session)) => session,
            Ok(Err(rejection)) => {
                let response = finish_now(&mut cx, rejection).await;
                // Invalid path, query or header input closes the socket
                // before accepting, as FastAPI does (1008): uvicorn's 403.
                return if response.error().is_some_and(Error::is::<ValidationError>) {
                    handshake::refusal()
                } else {
                    response
                };
            }
            Err(payload) => {
                let response = panic_response(&*payload, "websocket handler", self.name);
                return finish_now(&mut cx, response).await;
            }
        };
        let lifecycle = cx.take_lifecycle();
        let sockets = self.shared.shared().sockets();
        let ended = upgrade.ended.take();
        let session = run_session(
            session,
            link.clone(),
            lifecycle.clone(),
            self.shared.shared().clone(),
            self.name,
        );
        sockets.tracker.spawn(async move {
            session.await;
            drop(ended);
        });
        match decided.await {
            Ok(Decision::Accept { accept, reply }) => {
                let mut response = handshake::switching_protocols(&key);
                let headers = response.headers_mut();
                if let Some(protocol) = accept.subprotocol {
                    headers.insert(SEC_WEBSOCKET_PROTOCOL, protocol);
                }
                for (name, value) in &accept.headers {
                    headers.append(name.clone(), value.clone());
                }
                if let Some(lifecycle) = &lifecycle {
                    link.set_held(lifecycle::hold(lifecycle, &mut response));
                }
                let _ = reply.send(upgrade);
                response
            }
            Ok(Decision::Refuse { ack }) => {
                let mut response = handshake::refusal();
                if let Some(lifecycle) = &lifecycle {
                    link.set_held(lifecycle::hold(lifecycle, &mut response));
                }
                let _ = ack.send(());
                response
            }
            Ok(Decision::Ended(result)) => {
                let response = match result {
                    Err(error) if !is_disconnect(&error) => match error.downcast_ref::<Panic>() {
                        Some(_) => {
                            let mut response = crate::response::internal_error_response();
                            attach_error(&mut response, error);
                            response
                        }
                        None => error.into_response(),
                    },
                    // Returned without accepting: the handshake is refused.
                    _ => handshake::refusal(),
                };
                match lifecycle {
                    Some(lifecycle) => lifecycle::finish(lifecycle, response).await,
                    None => response,
                }
            }
            Err(_) => handshake::refusal(),
        }
    }
}

/// Finishes the lifecycle of a handshake answered before the handler ran.
async fn finish_now(cx: &mut RequestContext, response: Response) -> Response {
    match cx.take_lifecycle() {
        Some(lifecycle) => lifecycle::finish(lifecycle, response).await,
        None => response,
    }
}

/// The end of the conversation, not a failure.
fn is_disconnect(error: &Error) -> bool {
    matches!(
        error.downcast_ref::<WebSocketError>(),
        Some(WebSocketError::Disconnected(_))
    )
}

/// `Sec-WebSocket-Protocol: chat, superchat` -> `["chat", "superchat"]`.
fn requested_subprotocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Runs a handler's session: the handler, then closing what it left open,
/// then the request's background tasks and dependency cleanups.
async fn run_session(
    session: Session,
    link: Arc<Link>,
    lifecycle: Option<Arc<Lifecycle>>,
    shared: Arc<Shared>,
    name: &'static str,
) {
    let result = match AssertUnwindSafe(session).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let panic = Panic::from_payload(&*payload);
            tracing::error!(target: "sluice", handler = name, panic = %panic.message(), "websocket handler panicked");
            Err(Error::new(panic))
        }
    };
    if let Some(decision) = link.take_decision() {
        // The handshake is still waiting: its answer says how it went, and
        // its lifecycle ends with it.
        let _ = decision.send(Decision::Ended(result));
        return;
    }
    let error = match result {
        Err(error) if !is_disconnect(&error) => {
            if !error.is::<Panic>() {
                tracing::error!(target: "sluice", handler = name, %error, "websocket handler failed");
            }
            shared.report(&error);
            Some(error)
        }
        _ => None,
    };
    if let Some((stream, closed)) = link.take_leftover() {
        socket::finish(stream, closed, error.is_some()).await;
    }
    if let Some(lifecycle) = lifecycle {
        let status = if error.is_some() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SWITCHING_PROTOCOLS
        };
        lifecycle::release(lifecycle, link.take_held(), status, error).await;
    }
}
