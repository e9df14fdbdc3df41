//! What a middleware can reach besides the request: the request's locals
//! (visible after `next` returns), the app's state, the matched route, and
//! the request's background tasks.

use std::sync::{Arc, Mutex};

use sluice::extract::Local;
use sluice::testing::TestClient;
use sluice::{App, BackgroundTasks, HeaderValue, Next, Request, Response, State};

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

type Events = Arc<Mutex<Vec<String>>>;

fn record(events: &Events, event: &str) {
    events.lock().expect("not poisoned").push(event.to_owned());
}

#[tokio::test]
async fn middleware_tasks_run_after_the_handlers_in_the_order_added() {
    let events: Events = Arc::default();
    let (for_mw, for_handler) = (events.clone(), events.clone());
    let app = App::new()
        .get("/", move |tasks: BackgroundTasks| {
            let events = for_handler.clone();
            async move {
                record(&events, "handler");
                let e = events.clone();
                tasks.add(async move { record(&e, "handler task") });
                "ok"
            }
        })
        .middleware(move |req: Request, next: Next| {
            let events = for_mw.clone();
            async move {
                let tasks = req.background_tasks();
                let response = next.run(req).await;
                let e = events.clone();
                tasks.add(async move { record(&e, "middleware task") });
                record(&events, "middleware after next");
                response
            }
        });
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.text(), "ok");
    assert_eq!(
        *events.lock().expect("not poisoned"),
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
    let events: Events = Arc::default();
    let for_mw = events.clone();
    let app = App::new().middleware(move |req: Request, next: Next| {
        let events = for_mw.clone();
        async move {
            let tasks = req.background_tasks();
            let response = next.run(req).await;
            let status = response.status();
            tasks.add(async move { record(&events, &format!("saw {}", status.as_u16())) });
            response
        }
    });
    let res = TestClient::new(app).get("/missing").await;
    assert_eq!(res.status(), 404);
    assert_eq!(*events.lock().expect("not poisoned"), ["saw 404"]);
}

#[tokio::test]
async fn middleware_tasks_start_only_after_the_body_is_sent() {
    let events: Events = Arc::default();
    let for_mw = events.clone();
    let app = App::new()
        .get("/", || async { "body" })
        .middleware(move |req: Request, next: Next| {
            let events = for_mw.clone();
            async move {
                let tasks = req.background_tasks();
                let response = next.run(req).await;
                tasks.add(async move { record(&events, "task") });
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
    tokio::task::yield_now().await;
    assert!(
        events.lock().expect("not poisoned").is_empty(),
        "no task before the body is sent"
    );
    let body = response.into_body().collect().await.expect("a body");
    assert_eq!(body, "body");
    for _ in 0..100 {
        if !events.lock().expect("not poisoned").is_empty() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(*events.lock().expect("not poisoned"), ["task"]);
}
