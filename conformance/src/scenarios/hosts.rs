//! The scenarios of the hosts issue: trusted-host and https-redirect.

use sluice::middleware::{HttpsRedirect, TrustedHost};
use sluice::App;

use super::core::hello_world;

/// `TrustedHostMiddleware(allowed_hosts=["example.com","*.example.com","www.example.net"])`.
pub(crate) fn trusted_host() -> App {
    App::new()
        .get("/", hello_world)
        .add_middleware(TrustedHost::new().allowed_hosts([
            "example.com",
            "*.example.com",
            "www.example.net",
        ]))
}

/// `HTTPSRedirectMiddleware`: every plain-http request is redirected.
pub(crate) fn https_redirect() -> App {
    App::new()
        .get("/", hello_world)
        .add_middleware(HttpsRedirect::new())
}
