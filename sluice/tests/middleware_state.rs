//! What a middleware can reach besides the request: the request's locals
//! (visible after `next` returns), the app's state, the matched route, and
//! the request's background tasks.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sluice::extract::Local;
use sluice::testing::TestClient;
use sluice::{App, BackgroundTasks, HeaderValue, Next, Request, Response, State};
use support::Log;
use tokio::sync::Notify;

#[derive(Clone)]
struct User(&'static str);

/// Starlette's most common logging pattern: the handler sets the user, the
/// outer middleware reads it after `call_next`.
async fn log_user(req: Request, next: Next) -> Response {
    let locals = req.locals().clone();
    let mut response = next.run(req).await;
    let user = locals.get::<User>().map_or("anonymous", |u| u.0);
    response
        .headers_mut()
        .insert("x-user", HeaderValue::from_static(user));
    response
}

#[tokio::test]
async fn a_value_the_handler_puts_in_locals_is_seen_after_next_returns() {
    async fn handler(req: Request) -> &'static str {
        req.locals().insert(User("alice"));
        "hi"
    }
    let app = App::new().get("/", handler).middleware(log_user);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "hi");
    assert_eq!(res.header("x-user"), Some("alice"));
}

#[tokio::test]
async fn a_value_an_inner_middleware_puts_in_locals_is_seen_by_an_outer_one() {
    async fn login(req: Request, next: Next) -> Response {
        req.locals().insert(User("bob"));
        next.run(req).await
    }
    async fn whoami(Local(user): Local<User>) -> &'static str {
        user.0
    }
    let app = App::new()
        .get("/", whoami)
        .middleware(login)
        .middleware(log_user);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "bob");
    assert_eq!(res.header("x-user"), Some("bob"));
}

#[tokio::test]
async fn locals_cross_tower_layers_both_ways() {
    async fn handler(req: Request) -> &'static str {
        req.locals().insert(User("carol"));
        "hi"
    }
    let app = App::new()
        .get("/", handler)
        .add_layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            sluice::HeaderName::from_static("x-tower"),
            HeaderValue::from_static("1"),
        ))
        .middleware(log_user);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.header("x-tower"), Some("1"));
    assert_eq!(res.header("x-user"), Some("carol"));
}

#[tokio::test]
async fn a_missing_local_is_a_server_error_and_an_optional_one_is_none() {
    async fn required(Local(user): Local<User>) -> &'static str {
        user.0
    }
    async fn optional(user: Option<Local<User>>) -> &'static str {
        user.map_or("nobody", |u| u.0 .0)
    }
    let app = App::new()
        .get("/required", required)
        .get("/optional", optional);
    let client = TestClient::new(app).raise_server_exceptions(false);
    let res = client.get("/required").await;
    assert_eq!(res.status(), 500);
    assert!(res
        .error()
        .is_some_and(|e| e.to_string().contains("Local<")));
    assert_eq!(client.get("/optional").await.text(), "nobody");
}

#[tokio::test]
async fn the_route_template_is_known_after_next_returns() {
    async fn route_header(req: Request, next: Next) -> Response {
        let locals = req.locals().clone();
        let mut response = next.run(req).await;
        let route = locals
            .route()
            .map_or_else(|| "-".to_owned(), |r| r.template().to_owned());
        response
            .headers_mut()
            .insert("x-route", HeaderValue::from_str(&route).expect("a header"));
        response
    }
    let app = App::new()
        .get("/items/{item_id}", || async { "item" })
        .middleware(route_header);
    let client = TestClient::new(app);
    assert_eq!(
        client.get("/items/7").await.header("x-route"),
        Some("/items/{item_id}")
    );
    assert_eq!(
        client.post("/items/7").await.header("x-route"),
        Some("-"),
        "a 405 matched no handler"
    );
    assert_eq!(client.get("/nope").await.header("x-route"), Some("-"));
}

#[derive(Clone)]
struct Config {
    banner: &'static str,
}

#[tokio::test]
async fn middleware_reads_the_apps_state() {
    async fn banner(req: Request, next: Next) -> Response {
        let banner = req.state::<Config>().map_or("none", |c| c.banner);
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-banner", HeaderValue::from_static(banner));
        response
    }
    async fn handler(State(config): State<Config>) -> &'static str {
        config.banner
    }
    let app = App::new()
        .state(Config { banner: "hello" })
        .get("/", handler)
        .middleware(banner);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.header("x-banner"), Some("hello"));
    assert_eq!(res.text(), "hello");
}

#[tokio::test]
async fn app_state_is_not_request_state() {
    async fn probe(req: Request, next: Next) -> Response {
        let mut req = req;
        req.extensions_mut().insert(Config { banner: "request" });
        let seen = req.state::<Config>().map_or("none", |c| c.banner);
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-seen", HeaderValue::from_static(seen));
        response
    }
    let app = App::new().get("/", || async { "" }).middleware(probe);
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.header("x-seen"), Some("none"));
}

/// Counts the drops of the values a middleware put in the extensions.
static MARKS_DROPPED: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone)]
struct Mark(&'static str);

impl Drop for Mark {
    fn drop(&mut self) {
        MARKS_DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

/// sluice reuses the extension maps of finished requests; what they held
/// must go with their request, and never reach the next one.
#[tokio::test]
async fn extensions_start_empty_and_their_values_go_with_the_request() {
    async fn mark(mut req: Request, next: Next) -> Response {
        if req.header("x-mark").is_some() {
            req.extensions_mut().insert(Mark("first"));
        } else {
            // Fills the extensions all the same: a map is needed.
            req.extensions_mut().insert(7_u8);
        }
        next.run(req).await
    }
    async fn read(req: Request) -> &'static str {
        req.extensions().get::<Mark>().map_or("none", |mark| mark.0)
    }
    let client = TestClient::new(App::new().get("/", read).middleware(mark));

    let res = client.get("/").header("x-mark", "1").await;
    assert_eq!(res.text(), "first");
    assert_eq!(
        MARKS_DROPPED.load(Ordering::SeqCst),
        1,
        "dropped with its request"
    );

    for _ in 0..3 {
        let res = client.get("/").await;
        assert_eq!(res.text(), "none");
    }
    assert_eq!(MARKS_DROPPED.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn middleware_tasks_run_after_the_handlers_in_the_order_added() {
    let log = Log::default();
    let (for_mw, for_handler) = (log.clone(), log.clone());
    let app = App::new()
        .get("/", move |tasks: BackgroundTasks| {
            let log = for_handler.clone();
            async move {
                log.push("handler");
                let l = log.clone();
                tasks.add(async move { l.push("handler task") });
                "ok"
            }
        })
        .middleware(move |req: Request, next: Next| {
            let log = for_mw.clone();
            async move {
                let tasks = req.background_tasks();
                let response = next.run(req).await;
                let l = log.clone();
                tasks.add(async move { l.push("middleware task") });
                log.push("middleware after next");
                response
            }
        });
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "ok");
    assert_eq!(
        log.take(),
        [
            "handler",
            "middleware after next",
            "handler task",
            "middleware task"
        ]
    );
}

#[tokio::test]
async fn middleware_tasks_run_when_no_handler_ran() {
    let log = Log::default();
    let for_mw = log.clone();
    let app = App::new().middleware(move |req: Request, next: Next| {
        let log = for_mw.clone();
        async move {
            let tasks = req.background_tasks();
            let response = next.run(req).await;
            let status = response.status();
            tasks.add(async move { log.push(format!("saw {}", status.as_u16())) });
            response
        }
    });
    let res = TestClient::new(app).get("/missing").await;
    assert_eq!(res.status(), 404);
    assert_eq!(log.take(), ["saw 404"]);
}

#[tokio::test]
async fn middleware_tasks_start_only_after_the_body_is_sent() {
    let log = Log::default();
    let ran = Arc::new(Notify::new());
    let (for_mw, signal) = (log.clone(), ran.clone());
    let app = App::new()
        .get("/", || async { "body" })
        .middleware(move |req: Request, next: Next| {
            let (log, signal) = (for_mw.clone(), signal.clone());
            async move {
                let tasks = req.background_tasks();
                let response = next.run(req).await;
                tasks.add(async move {
                    log.push("task");
                    signal.notify_one();
                });
                response
            }
        })
        .build()
        .expect("valid app");
    let req = sluice::http::Request::get("/")
        .body(sluice::Body::empty())
        .expect("a request");
    let response = tower::ServiceExt::oneshot(app, req)
        .await
        .expect("infallible");
    // A task started too early would run here.
    tokio::task::yield_now().await;
    assert!(log.events().is_empty(), "no task before the body is sent");
    let body = response.into_body().collect().await.expect("a body");
    assert_eq!(body, "body");
    support::wire::within("the task runs once the body is sent", ran.notified()).await;
    assert_eq!(log.take(), ["task"]);
}
