//! Error types of a test's own: exception handlers, `ErrorHandler`
//! mappings and `downcast_ref` all go by type, so a test often needs one.

/// Declares a unit struct that is a `std::error::Error` whose message is
/// the given text:
///
/// ```ignore
/// support::errors::error_type!(DatabaseDown: "the database is down");
/// ```
macro_rules! error_type {
    ($(#[$attr:meta])* $name:ident: $message:literal) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        struct $name;

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($message)
            }
        }

        impl std::error::Error for $name {}
    };
}

pub(crate) use error_type;
