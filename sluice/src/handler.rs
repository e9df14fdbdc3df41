//! Handlers: async functions whose arguments are extractors.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::app::Shared;
use crate::extract::{FromRequest, FromRequestParts, RequestContext};
use crate::lifecycle;
use crate::middleware::panic_response;
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// An async function that can handle requests: up to 16 arguments that are
/// extractors (the last one may read the body), returning anything that
/// implements [`IntoResponse`].
///
/// You never implement this trait; plain `async fn`s and closures returning
/// futures get it automatically.
///
/// When a function is not a handler, the error is reported where it is
/// registered (`App::get(...)`), and the trait system cannot say which
/// argument is at fault. Put [`#[debug_handler]`](crate::debug_handler) on
/// the function to have each argument, the return type and the future's
/// `Send`-ness checked on their own, each error pointing at its cause.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid sluice handler",
    label = "not a handler",
    note = "a handler is an `async fn` whose arguments are extractors and whose return type implements `IntoResponse`; one of these is wrong:",
    note = "- an argument that reads the body (`Json<T>`, `String`, `Bytes`, `Body`, `Request`) must be the last one: move it to the end",
    note = "- a struct argument needs a wrapper that says where it comes from: `Json<T>` for the body, `Query<T>`, `Path<T>` or `Headers<T>`",
    note = "- the return type must implement `IntoResponse`: wrap a struct in `Json(..)`; return `sluice::Result<T>` to use `?` on any error",
    note = "- its future must be `Send`: drop a `std::sync::MutexGuard`, `Rc` or `RefCell` borrow before the next `.await` (or use `tokio::sync::Mutex`, `Arc`)",
    note = "put `#[sluice::debug_handler]` on the handler to see which argument or type is at fault"
)]
pub trait Handler<T>: Clone + Send + Sync + Sized + 'static {
    /// Runs the handler on a request.
    #[doc(hidden)]
    fn call(self, req: Request, cx: &RequestContext) -> impl Future<Output = Response> + Send + '_;
}

impl<F, Fut, R> Handler<((),)> for F
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    async fn call(self, _req: Request, _cx: &RequestContext) -> Response {
        self().await.into_response()
    }
}

macro_rules! impl_handler {
    ([$($ty:ident),*], $last:ident) => {
        #[allow(non_snake_case, unused_mut)]
        impl<F, Fut, R, M, $($ty,)* $last> Handler<(M, $($ty,)* $last,)> for F
        where
            F: FnOnce($($ty,)* $last,) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoResponse + 'static,
            M: 'static,
            $( $ty: FromRequestParts + 'static, )*
            $last: FromRequest<M> + 'static,
        {
            async fn call(self, req: Request, cx: &RequestContext) -> Response {
                let (inner, _route) = req.into_inner();
                let (mut parts, body) = inner.into_parts();
                $(
                    let $ty = match $ty::from_request_parts(&mut parts, cx).await {
                        Ok(value) => value,
                        Err(rejection) => return rejection.into_response(),
                    };
                )*
                let req = cx.rebuild_request(parts, body);
                let $last = match $last::from_request(req, cx).await {
                    Ok(value) => value,
                    Err(rejection) => return rejection.into_response(),
                };
                self($($ty,)* $last,).await.into_response()
            }
        }
    };
}

impl_handler!([], T1);
impl_handler!([T1], T2);
impl_handler!([T1, T2], T3);
impl_handler!([T1, T2, T3], T4);
impl_handler!([T1, T2, T3, T4], T5);
impl_handler!([T1, T2, T3, T4, T5], T6);
impl_handler!([T1, T2, T3, T4, T5, T6], T7);
impl_handler!([T1, T2, T3, T4, T5, T6, T7], T8);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8], T9);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9], T10);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10], T11);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11], T12);
impl_handler!([T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12], T13);
impl_handler!(
    [T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13],
    T14
);
impl_handler!(
    [T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14],
    T15
);
impl_handler!(
    [T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15],
    T16
);

/// A handler with its type erased, at the end of a route's stack.
pub(crate) trait ErasedHandler: Send + Sync + 'static {
    fn call<'a>(&'a self, req: Request, shared: &'a Arc<Shared>) -> BoxFuture<'a, Response>;
}

pub(crate) struct HandlerEndpoint<H, T> {
    handler: H,
    name: &'static str,
    _marker: PhantomData<fn() -> T>,
}

impl<H, T> HandlerEndpoint<H, T> {
    pub(crate) fn new(handler: H) -> Self {
        HandlerEndpoint {
            handler,
            name: crate::middleware::short_type_name(std::any::type_name::<H>()),
            _marker: PhantomData,
        }
    }
}

impl<H, T> ErasedHandler for HandlerEndpoint<H, T>
where
    H: Handler<T>,
    T: 'static,
{
    fn call<'a>(&'a self, req: Request, shared: &'a Arc<Shared>) -> BoxFuture<'a, Response> {
        Box::pin(async move {
            let mut cx = RequestContext::new(
                shared.clone(),
                req.route_arc().cloned(),
                *req.connection(),
                req.body_limit(),
            );
            let handler = self.handler.clone();
            let response = match AssertUnwindSafe(handler.call(req, &cx))
                .catch_unwind()
                .await
            {
                Ok(response) => response,
                Err(payload) => panic_response(&*payload, "handler", self.name),
            };
            let mut response = match cx.take_lifecycle() {
                // Boxed: most requests have no lifecycle, and this future
                // would otherwise make every handler's future larger.
                Some(lifecycle) => Box::pin(lifecycle::finish(lifecycle, response)).await,
                None => response,
            };
            shared.resolve(&mut response);
            response
        })
    }
}
