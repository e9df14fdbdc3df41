//! The CORS scenarios: cors, cors-wildcard and cors-regex.

use serde_json::{Map, Value};
use sluice::middleware::Cors;
use sluice::{App, Error, Json, StatusCode};

use super::core::{add_process_time_header, hello_world};

/// FastAPI's `async def create_item(item: dict)`, answered with 201.
async fn create_item(
    Json(item): Json<Map<String, Value>>,
) -> (StatusCode, Json<Map<String, Value>>) {
    (StatusCode::CREATED, Json(item))
}

async fn boom() -> sluice::Result<Json<Value>> {
    Err(Error::msg("boom"))
}

/// The tutorial's CORS settings.
pub(crate) fn tutorial_cors() -> Cors {
    Cors::new()
        .allow_origins(["http://localhost", "http://localhost:8080"])
        .allow_credentials(true)
        .allow_methods(["*"])
        .allow_headers(["*"])
        .expose_headers(["X-Process-Time"])
        .max_age(600)
}

/// The tutorial's CORS setup, outermost, over the process-time middleware.
pub(crate) fn cors() -> App {
    App::new()
        .get("/", hello_world)
        .post("/items", create_item)
        .get("/boom", boom)
        .middleware(add_process_time_header)
        .add_middleware(tutorial_cors())
}

/// Every origin, two methods, one extra header, no credentials.
pub(crate) fn cors_wildcard() -> App {
    App::new()
        .get("/", hello_world)
        .post("/items", create_item)
        .add_middleware(
            Cors::new()
                .allow_origins(["*"])
                .allow_methods(["GET", "POST"])
                .allow_headers(["X-Custom"]),
        )
}

/// Origins matched by a regex, with credentials; default methods and headers.
pub(crate) fn cors_regex() -> App {
    App::new().get("/", hello_world).add_middleware(
        Cors::new()
            .allow_origin_regex(r"https://.*\.example\.org")
            .allow_credentials(true),
    )
}
