// The shapes the failing cases should have been: they build.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::middleware::{Cors, Middleware};
use sluice::{App, HeaderMap, HttpError, Json, Next, Path, Request, Response, StatusCode};

#[derive(Deserialize, Serialize, JsonSchema)]
struct Item {
    name: String,
}

async fn update_item(
    Path(item_id): Path<u32>,
    headers: HeaderMap,
    Json(item): Json<Item>,
) -> Json<Item> {
    let _ = (item_id, headers);
    Json(item)
}

async fn read_config() -> sluice::Result<String> {
    Ok(std::fs::read_to_string("config.toml")?)
}

async fn log_request(req: Request, next: Next) -> Result<Response, HttpError> {
    Ok(next.run(req).await)
}

struct LogRequests;

impl Middleware for LogRequests {
    async fn handle(&self, req: Request, next: Next) -> sluice::Result<Response> {
        Ok(next.run(req).await)
    }
}

#[derive(Debug)]
struct UnicornError;

impl std::fmt::Display for UnicornError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a unicorn")
    }
}

impl std::error::Error for UnicornError {}

fn main() {
    let _app = App::new()
        .put("/items/{item_id}", update_item)
        .get("/config", read_config)
        .middleware(log_request)
        .add_middleware(LogRequests)
        .add_layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(10),
        ))
        .exception_handler(|_: &UnicornError| StatusCode::IM_A_TEAPOT)
        .add_middleware(Cors::new());
}
