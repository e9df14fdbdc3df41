//! `TestClient` tells the truth: a failure anywhere in the app fails the
//! test (Starlette's `raise_server_exceptions`), unless the test opts out
//! to check the response.

use sluice::middleware::ErrorHandler;
use sluice::testing::TestClient;
use sluice::{App, BackgroundTasks, Dep, Dependency, Next, Request, Response, StatusCode};

async fn boom() -> sluice::Result<&'static str> {
    Err(sluice::Error::msg("database is gone"))
}

#[tokio::test]
#[should_panic(expected = "database is gone")]
async fn an_unhandled_handler_error_fails_the_test() {
    let _ = TestClient::new(App::new().get("/", boom)).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "panicked: handler bug")]
async fn a_panicking_handler_fails_the_test() {
    let app = App::new().get("/", || async {
        if true {
            panic!("handler bug");
        }
        "never"
    });
    let _ = TestClient::new(app).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "panicked: middleware bug")]
async fn a_panicking_middleware_fails_the_test() {
    async fn buggy(_req: Request, _next: Next) -> Response {
        panic!("middleware bug")
    }
    let app = App::new().get("/", || async { "" }).middleware(buggy);
    let _ = TestClient::new(app).get("/").await;
}

#[tokio::test]
#[should_panic(expected = "task failed")]
async fn a_failing_background_task_fails_the_test() {
    let app = App::new().get("/", |tasks: BackgroundTasks| async move {
        tasks.add(async { Err::<(), _>("task failed") });
        "ok"
    });
    let _ = TestClient::new(app).get("/").await;
}

struct Db;

impl Dependency for Db {
    async fn enter(
        _parts: &mut sluice::http::request::Parts,
        _cx: &sluice::RequestContext,
    ) -> sluice::Result<Self> {
        Ok(Db)
    }

    async fn exit(&self, _outcome: &sluice::Outcome) {
        panic!("cleanup bug");
    }
}

#[tokio::test]
#[should_panic(expected = "panicked: cleanup bug")]
async fn a_panicking_cleanup_fails_the_test() {
    let app = App::new().get("/", |_db: Dep<Db>| async { "ok" });
    let _ = TestClient::new(app).get("/").await;
}

#[tokio::test]
async fn opting_out_returns_the_500_the_client_gets() {
    let client = TestClient::new(App::new().get("/", boom)).raise_server_exceptions(false);
    let res = client.get("/").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.text(), r#"{"detail":"Internal Server Error"}"#);
}

#[tokio::test]
async fn client_errors_and_handled_errors_do_not_fail_the_test() {
    #[derive(Debug)]
    struct Teapot;
    impl std::fmt::Display for Teapot {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("teapot")
        }
    }
    impl std::error::Error for Teapot {}
    let app = App::new()
        .get(
            "/item/{id}",
            |sluice::Path(id): sluice::Path<u32>| async move { id.to_string() },
        )
        .get("/teapot", || async {
            Err::<(), _>(sluice::Error::new(Teapot))
        })
        .get("/http-500", || async {
            Err::<(), _>(sluice::HttpError::new(500, "on purpose"))
        })
        .exception_handler(|_: &Teapot| StatusCode::IM_A_TEAPOT);
    let client = TestClient::new(app);
    assert_eq!(client.get("/item/abc").await.status(), 422);
    assert_eq!(client.get("/missing").await.status(), 404);
    assert_eq!(client.get("/teapot").await.status(), 418);
    assert_eq!(client.get("/http-500").await.status(), 500);
}

#[tokio::test]
async fn an_error_handler_mapping_handles_the_error() {
    let app = App::new().get("/", boom).add_middleware(
        ErrorHandler::new().map(|_: &sluice::error::Panic| StatusCode::BAD_GATEWAY),
    );
    // A mapping for another type leaves it unhandled.
    let client = TestClient::new(app).raise_server_exceptions(false);
    assert_eq!(client.get("/").await.status(), 500);

    #[derive(Debug)]
    struct Gone;
    impl std::fmt::Display for Gone {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("gone")
        }
    }
    impl std::error::Error for Gone {}
    let app = App::new()
        .get("/", || async { Err::<(), _>(sluice::Error::new(Gone)) })
        .add_middleware(ErrorHandler::new().map(|_: &Gone| StatusCode::SERVICE_UNAVAILABLE));
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn a_middleware_that_replaces_the_failed_response_handles_it() {
    async fn recover(req: Request, next: Next) -> Response {
        let response = next.run(req).await;
        if response.status().is_server_error() {
            return sluice::IntoResponse::into_response((StatusCode::OK, "recovered"));
        }
        response
    }
    let app = App::new().get("/", boom).middleware(recover);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "recovered");
}
