//! Handlers: async functions whose arguments are extractors. Each route's
//! handler is an [`Endpoint`] at the end of the route's stack.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use crate::error::{Error, ValidationError, ValidationIssue};
use crate::extract::{Declaration, FromRequest, FromRequestParts, RequestContext};
use crate::hook;
use crate::lifecycle;
use crate::request::{Locals, Request};
use crate::response::{IntoResponse, Response, ResponseExt};
use crate::shared::{Shared, SharedHandles};
use crate::stack::{panic_response, short_type_name, Afters, Endpoint};

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
    note = "- a struct argument needs a wrapper that says where it comes from: `Json<T>` or `Form<T>` for the body, `Query<T>`, `Path<T>`, `Headers<T>` or `Cookies<T>`",
    note = "- the return type must implement `IntoResponse`: wrap a struct in `Json(..)`; return `sluice::Result<T>` to use `?` on any error",
    note = "- a model in `Json<T>`, `Form<T>`, `Query<T>`, `Path<T>`, `Headers<T>` or `Cookies<T>` needs `#[derive(schemars::JsonSchema)]` beside serde's derive (the OpenAPI document is made from it)",
    note = "- its future must be `Send`: drop a `std::sync::MutexGuard`, `Rc` or `RefCell` borrow before the next `.await` (or use `tokio::sync::Mutex`, `Arc`)",
    note = "put `#[sluice::debug_handler]` on the handler to see which argument or type is at fault"
)]
pub trait Handler<T>: Clone + Send + Sync + Sized + 'static {
    /// Runs the handler on a request.
    #[doc(hidden)]
    fn call(self, req: Request, cx: &RequestContext) -> impl Future<Output = Response> + Send + '_;

    /// Lets each argument check, when the app is built, that it can work
    /// on the route, and describe itself (and the return type, the
    /// response) in the OpenAPI document.
    #[doc(hidden)]
    fn declare(decl: &mut Declaration<'_>) {
        let _ = decl;
    }

    /// Whether its response reads the request's `Range` and `If-Range`
    /// ([`IntoResponse::__HONOURS_RANGE`]): they are then kept for it.
    #[doc(hidden)]
    const HONOURS_RANGE: bool = false;
}

impl<F, Fut, R> Handler<((),)> for F
where
    F: FnOnce() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoResponse + 'static,
{
    async fn call(self, _req: Request, cx: &RequestContext) -> Response {
        cx.respond(self().await)
    }

    const HONOURS_RANGE: bool = R::__HONOURS_RANGE;

    fn declare(decl: &mut Declaration<'_>) {
        if let Some(doc) = decl.openapi() {
            doc.success(R::describe);
        }
    }
}

/// The arguments of a request that could not be read, as far as they
/// can be answered together: FastAPI validates every parameter and the
/// body before answering, and lists every issue, those of the path first,
/// then the query, the headers, the cookies and the body.
#[derive(Default)]
struct Invalid {
    /// The first rejection, answered as it is when it stays the only one.
    first: Option<Response>,
    /// How many arguments were rejected.
    rejected: usize,
    issues: Vec<ValidationIssue>,
}

impl Invalid {
    /// Takes in the rejection of an argument. A rejection that is not a
    /// list of validation issues (a 401 from a dependency, a body too
    /// large or not JSON at all) is the answer at once: FastAPI raises it
    /// before, or instead of, validating the rest.
    ///
    /// The first rejection is kept as it is; its issues are copied only
    /// when another joins them.
    fn add(&mut self, rejection: Response) -> Option<Response> {
        let Some(issues) = listed_issues(&rejection) else {
            return Some(rejection);
        };
        self.rejected += 1;
        match &self.first {
            None => {
                self.first = Some(rejection);
                return None;
            }
            Some(first) if self.rejected == 2 => {
                self.issues
                    .extend_from_slice(listed_issues(first).unwrap_or_default());
            }
            Some(_) => {}
        }
        self.issues.extend_from_slice(issues);
        None
    }

    /// The answer: the one rejection, or every issue in one 422.
    fn into_response(self) -> Response {
        match self.first {
            Some(first) if self.rejected == 1 => first,
            _ => {
                let mut issues = self.issues;
                issues.sort_by_key(|issue| match issue.loc.first().and_then(|l| l.as_str()) {
                    Some("path") => 0,
                    Some("query") => 1,
                    Some("header") => 2,
                    Some("cookie") => 3,
                    Some("body") => 4,
                    _ => 5,
                });
                Error::new(ValidationError::new(issues)).into_response()
            }
        }
    }
}

/// The issues of a rejection that lists them (a 422 of validation
/// issues, the body not broken JSON).
fn listed_issues(rejection: &Response) -> Option<&[ValidationIssue]> {
    rejection
        .error()
        .and_then(|error| error.downcast_ref::<ValidationError>())
        .map(ValidationError::issues)
        .filter(|issues| !issues.iter().any(|issue| issue.kind == "json_invalid"))
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
                let (mut parts, body) = req.into_http_request().into_parts();
                // Every argument is read even when one is invalid, so that
                // the 422 lists them all, as FastAPI's does.
                let mut invalid = Invalid::default();
                $(
                    let $ty = match $ty::from_request_parts(&mut parts, cx).await {
                        Ok(value) => Some(value),
                        Err(rejection) => match invalid.add(rejection.into_response()) {
                            Some(answer) => return answer,
                            None => None,
                        },
                    };
                )*
                let req = cx.rebuild_request(parts, body);
                let $last = match $last::from_request(req, cx).await {
                    Ok(value) => Some(value),
                    Err(rejection) => match invalid.add(rejection.into_response()) {
                        Some(answer) => return answer,
                        None => None,
                    },
                };
                let ($(Some($ty),)* Some($last),) = ($($ty,)* $last,) else {
                    return invalid.into_response();
                };
                cx.respond(self($($ty,)* $last,).await)
            }

            const HONOURS_RANGE: bool = R::__HONOURS_RANGE;

            fn declare(decl: &mut Declaration<'_>) {
                $( $ty::declare(decl); )*
                $last::declare(decl);
                if let Some(doc) = decl.openapi() {
                    doc.success(R::describe);
                }
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

/// A handler as a route holds it before the app is built.
pub(crate) trait RouteHandler: Send + Sync + 'static {
    /// The endpoint that runs it in the built app.
    fn endpoint(&self, shared: &Arc<Shared>) -> Arc<dyn Endpoint>;

    /// Lets its arguments check the route.
    fn declare(&self, decl: &mut Declaration<'_>);

    /// The handler function's name; `None` for a closure.
    fn name(&self) -> Option<&'static str>;
}

/// A [`Handler`] with its argument types fixed.
pub(crate) struct HandlerSpec<H, T> {
    handler: H,
    _marker: PhantomData<fn() -> T>,
}

impl<H, T> HandlerSpec<H, T> {
    pub(crate) fn new(handler: H) -> Self {
        HandlerSpec {
            handler,
            _marker: PhantomData,
        }
    }
}

impl<H, T> RouteHandler for HandlerSpec<H, T>
where
    H: Handler<T>,
    T: 'static,
{
    fn endpoint(&self, shared: &Arc<Shared>) -> Arc<dyn Endpoint> {
        Arc::new(HandlerEndpoint::<H, T> {
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
        fn_name::<H>()
    }
}

/// The name of the function `H` is (`read_item`); `None` for a closure.
pub(crate) fn fn_name<H>() -> Option<&'static str> {
    let full = std::any::type_name::<H>();
    let base = full.split('<').next().unwrap_or(full);
    if base.ends_with("{{closure}}") {
        return None;
    }
    base.rsplit("::").next()
}

/// A handler in the built app.
struct HandlerEndpoint<H, T> {
    handler: H,
    shared: SharedHandles,
    name: &'static str,
    _marker: PhantomData<fn() -> T>,
}

impl<H, T> Endpoint for HandlerEndpoint<H, T>
where
    H: Handler<T>,
    T: 'static,
{
    fn call(&self, req: Request) -> BoxFuture<'_, Response> {
        Box::pin(self.respond(req))
    }

    fn call_after_hooks<'a>(
        &'a self,
        req: Request,
        afters: &mut Afters<'a>,
    ) -> BoxFuture<'a, Response> {
        Box::pin(hook::around(afters.take(), self.respond(req)))
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.name)
    }
}

impl<H, T> HandlerEndpoint<H, T>
where
    H: Handler<T>,
    T: 'static,
{
    /// The handler's answer to `req`, its panic caught.
    async fn respond(&self, req: Request) -> Response {
        if H::HONOURS_RANGE {
            RequestContext::keep_range(&req);
        }
        let cx = RequestContext::new(&req, &self.shared);
        // In a block, so that the response is not kept in this future's
        // state across the rare await below.
        let unfinished = {
            let handler = self.handler.clone();
            let response = match AssertUnwindSafe(handler.call(req, &cx))
                .catch_unwind()
                .await
            {
                Ok(response) => response,
                Err(payload) => panic_response(&*payload, "handler", self.name),
            };
            if !cx.has_lifecycle() && !Shared::is_unresolved(&response) {
                return response;
            }
            response
        };
        // Boxed: most requests have no lifecycle and no error, and this
        // future would otherwise make every handler's future larger.
        Box::pin(self.finish(cx, unfinished)).await
    }
}

impl<H, T> HandlerEndpoint<H, T> {
    /// Runs the request's lifecycle and offers a fresh error to the
    /// exception handlers, once the handler has answered.
    async fn finish(&self, mut cx: RequestContext, response: Response) -> Response {
        let mut response = match cx.take_lifecycle() {
            Some(lifecycle) => lifecycle::finish(lifecycle, response).await,
            None => response,
        };
        if Shared::is_unresolved(&response) {
            let head = cx.locals().and_then(Locals::head);
            self.shared.shared().resolve(&mut response, head).await;
        }
        response
    }
}
