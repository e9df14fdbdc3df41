//! [`Dependency`] and [`Dep`]: FastAPI's dependencies with `yield`.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use http::request::Parts;

use super::{Declaration, FromRequestParts, RequestContext};
use crate::error::Error;
use crate::lifecycle::{Cleanup, Entered, Outcome, Scope};

/// A dependency with setup and cleanup: FastAPI's dependency with `yield`.
///
/// Ask for one in a handler with [`Dep<T>`]. It is entered once per request
/// (later requests for it in the same request share the value) and cleaned
/// up according to its [`Scope`].
///
/// ```
/// use sluice::{App, Dep, Dependency, Outcome, RequestContext, Json};
/// use sluice::http::request::Parts;
/// use serde_json::{json, Value};
///
/// struct Session { id: u32 }
///
/// impl Dependency for Session {
///     async fn enter(_parts: &mut Parts, _cx: &RequestContext) -> sluice::Result<Self> {
///         Ok(Session { id: 7 }) // open it
///     }
///
///     async fn exit(&self, outcome: &Outcome) {
///         // commit or roll back, then close
///         let _ = outcome.is_ok();
///     }
/// }
///
/// async fn handler(session: Dep<Session>) -> Json<Value> {
///     Json(json!({ "session": session.id }))
/// }
///
/// let app = App::new().get("/", handler);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a dependency",
    label = "`Dep<T>` needs `T: Dependency`",
    note = "implement `sluice::Dependency` for it: `enter` opens it, `exit` cleans it up"
)]
pub trait Dependency: Send + Sync + Sized + 'static {
    /// When [`Dependency::exit`] runs. Request scope by default.
    const SCOPE: Scope = Scope::Request;

    /// Sets the dependency up for this request. It may ask for other
    /// dependencies with [`Dep::resolve`]. An error rejects the request
    /// (an [`HttpError`](crate::HttpError) gives its own response).
    fn enter(
        parts: &mut Parts,
        cx: &RequestContext,
    ) -> impl Future<Output = crate::Result<Self>> + Send;

    /// Checks, once when the app is built, that the dependency can work on
    /// the route, and describes what it reads in the OpenAPI document, as
    /// an extractor does ([`FromRequestParts::declare`]). A dependency
    /// that reads a header or a query parameter documents it here. Does
    /// nothing by default.
    fn declare(decl: &mut Declaration<'_>) {
        let _ = decl;
    }

    /// Cleans the dependency up. The outcome tells whether the handler
    /// failed, and with which error. Does nothing by default.
    fn exit(&self, outcome: &Outcome) -> impl Future<Output = ()> + Send {
        let _ = outcome;
        async {}
    }
}

/// A [`Dependency`] for a handler: the extractor that enters it (once per
/// request) and arranges its cleanup. Derefs to the value; clone it to take
/// it into a background task.
pub struct Dep<T>(Arc<T>);

impl<T> Clone for Dep<T> {
    fn clone(&self) -> Self {
        Dep(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for Dep<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Dep").field(&self.0).finish()
    }
}

impl<T> std::ops::Deref for Dep<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Dep<T> {
    /// The shared value.
    pub fn as_arc(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T: Dependency> Dep<T> {
    /// Enters the dependency for this request, or returns the value already
    /// entered. Use it inside [`Dependency::enter`] to depend on another
    /// dependency.
    ///
    /// # Errors
    ///
    /// The dependency's own error, or a 500 when a request-scope
    /// dependency asks for a function-scope one (it would be cleaned up
    /// first).
    pub async fn resolve(parts: &mut Parts, cx: &RequestContext) -> crate::Result<Self> {
        let lifecycle = cx.lifecycle().clone();
        let type_id = TypeId::of::<T>();
        if let Some(value) = lifecycle.entered(type_id) {
            if let Ok(value) = value.downcast::<T>() {
                return Ok(Dep(value));
            }
        }
        if T::SCOPE == Scope::Function && lifecycle.entering_request_scope() {
            return Err(Error::msg(format!(
                "a request-scope dependency cannot depend on the function-scope dependency {}",
                std::any::type_name::<T>()
            )));
        }
        let request_scope = T::SCOPE == Scope::Request;
        if request_scope {
            lifecycle.set_entering_request_scope(true);
        }
        let entered = T::enter(parts, cx).await;
        if request_scope {
            lifecycle.set_entering_request_scope(false);
        }
        let value = Arc::new(entered?);
        let for_cleanup = value.clone();
        let cleanup: Cleanup = Box::new(move |outcome: Arc<Outcome>| {
            Box::pin(async move { for_cleanup.exit(&outcome).await })
        });
        lifecycle.push_entered(Entered {
            type_id,
            value: value.clone(),
            scope: T::SCOPE,
            name: std::any::type_name::<T>(),
            cleanup: Some(cleanup),
        });
        Ok(Dep(value))
    }
}

impl<T: Dependency> FromRequestParts for Dep<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, cx: &RequestContext) -> Result<Self, Error> {
        Dep::resolve(parts, cx).await
    }

    fn declare(decl: &mut Declaration<'_>) {
        T::declare(decl);
    }
}
