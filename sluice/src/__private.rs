//! What `#[debug_handler]` (the `sluice-macros` crate) expands to: one
//! compile-time check per handler argument, so that a failure points at the
//! argument at fault and says how to fix it. Not public API: the names and
//! signatures here change without notice.

use std::future::Future;

pub use crate::stack::StackEntry;

use crate::extract::{private::ViaParts, FromRequest};
use crate::response::IntoResponse;

/// Implemented by the marker of extractors that leave the body alone, so
/// that `M: BodyComesLast<T>` fails exactly when `T` reads the body.
#[diagnostic::on_unimplemented(
    message = "`{T}` reads the request body, so it must be the last argument of the handler",
    label = "reads the body, but is not the last argument",
    note = "move this argument to the end of the argument list: a handler reads the body once, so only its last argument may read it"
)]
pub trait BodyComesLast<T> {}

#[diagnostic::do_not_recommend]
impl<T> BodyComesLast<T> for ViaParts {}

/// A handler argument that is not the last: an extractor that does not
/// read the body.
pub fn argument_before_last<M, T>()
where
    T: FromRequest<M>,
    M: BodyComesLast<T>,
{
}

/// The last handler argument: any extractor.
pub fn last_argument<M, T>()
where
    T: FromRequest<M>,
{
}

/// A handler's return type.
pub fn response<R: IntoResponse>() {}

/// A handler's future, which the server moves between threads.
pub fn send_future<F: Future + Send>(future: F) {
    drop(future);
}
