//! `/docs` and `/redoc` in a real headless browser (Debian's `chromium`),
//! with the assets embedded in the binary (`embedded-docs`), so the test
//! needs no network: the page loads Swagger UI from the app, Swagger UI
//! fetches `/openapi.json`, and the operations must be on the page.
//!
//! `.ci/run` installs chromium and runs this file with
//! `--features embedded-docs`; a local run without chromium skips, and
//! says so.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sluice::extract::{Path, Query};
use sluice::openapi::OpenApi;
use sluice::routing::post;
use sluice::{App, Json, Server, StatusCode};

#[derive(Serialize, Deserialize, JsonSchema)]
struct Item {
    name: String,
    price: f64,
}

#[derive(Deserialize, JsonSchema)]
struct Page {
    #[allow(dead_code)]
    q: Option<String>,
}

async fn read_item(Path(item_id): Path<i64>, Query(_page): Query<Page>) -> Json<Item> {
    Json(Item {
        name: format!("item {item_id}"),
        price: 1.0,
    })
}

async fn create_item(Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}

fn app() -> App {
    App::new()
        .get("/items/{item_id}", read_item)
        .route(
            "/items",
            post(create_item)
                .summary("Create an item")
                .tag("items")
                .status(StatusCode::CREATED),
        )
        .openapi(OpenApi::new().title("Browser test"))
}

/// Serves the app on a free port for `f`, which gets the base URL.
async fn with_server(f: impl FnOnce(String) -> String + Send + 'static) -> String {
    let server = Server::bind("127.0.0.1:0").await.expect("bind a free port");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(
        server
            .with_shutdown_signal(async move {
                let _ = stopped.await;
            })
            .serve(app()),
    );
    let dom = tokio::task::spawn_blocking(move || f(base))
        .await
        .expect("the browser ran");
    let _ = stop.send(());
    serving
        .await
        .expect("the server task")
        .expect("the server stopped cleanly");
    dom
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_renders_the_operations_in_chromium() {
    let Some(chromium) = test_support::chromium() else {
        return;
    };
    let dom =
        with_server(move |base| test_support::dump_dom(&chromium, &format!("{base}/docs"))).await;
    assert!(
        dom.contains("class=\"swagger-ui\""),
        "Swagger UI did not start:\n{dom}"
    );
    // The operations, as Swagger UI lays them out from /openapi.json.
    assert!(
        dom.contains("opblock-summary-path"),
        "no operation rendered:\n{dom}"
    );
    for text in [
        "/items/{item_id}",
        "Read Item",
        "Create an item",
        "Browser test",
    ] {
        assert!(dom.contains(text), "{text:?} is not on the page:\n{dom}");
    }
    assert!(
        dom.contains("opblock-post") && dom.contains("opblock-get"),
        "{dom}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redoc_renders_the_operations_in_chromium() {
    let Some(chromium) = test_support::chromium() else {
        return;
    };
    let dom =
        with_server(move |base| test_support::dump_dom(&chromium, &format!("{base}/redoc"))).await;
    for text in [
        "Browser test",
        "Read Item",
        "Create an item",
        "/items/{item_id}",
    ] {
        assert!(
            dom.contains(text),
            "{text:?} is not on the ReDoc page:\n{dom}"
        );
    }
}
