//! Setting and deleting cookies on a response (`ResponseExt::set_cookie`,
//! `delete_cookie`), as FastAPI's `response.set_cookie(...)` and
//! `response.delete_cookie(...)`. The `Set-Cookie` values expected here are
//! what Starlette 1.10 wrote for the same arguments.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use sluice::cookie::{Cookie, SameSite};
use sluice::extract::{Cookies, Form};
use sluice::testing::TestClient;
use sluice::{App, IntoResponse, Json, Next, Request, Response, ResponseExt};

#[derive(Deserialize, schemars::JsonSchema)]
struct Login {
    user: String,
}

/// FastAPI's "Response Cookies" example, with the user's name as the value.
async fn login(Form(login): Form<Login>) -> sluice::Result<Response> {
    let mut response =
        Json(json!({"message": "Come to the dark side, we have cookies"})).into_response();
    response.set_cookie(
        Cookie::new("fakesession", login.user)
            .max_age(Duration::from_secs(3600))
            .http_only(true),
    )?;
    Ok(response)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Session {
    fakesession: Option<String>,
}

async fn me(Cookies(session): Cookies<Session>) -> Json<Value> {
    Json(json!({"user": session.fakesession}))
}

async fn logout() -> sluice::Result<Response> {
    let mut response = Json(json!({"message": "bye"})).into_response();
    response.delete_cookie("fakesession")?;
    Ok(response)
}

fn app() -> App {
    App::new()
        .post("/login", login)
        .get("/me", me)
        .post("/logout", logout)
}

#[tokio::test]
async fn a_cookie_set_by_a_handler_comes_back_and_a_deleted_one_does_not() {
    let client = TestClient::new(app());
    assert_eq!(
        client.get("/me").await.json::<Value>(),
        json!({"user": null})
    );

    let res = client
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .text("user=ann")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header_all("set-cookie"),
        ["fakesession=ann; HttpOnly; Max-Age=3600; Path=/; SameSite=lax"]
    );
    assert_eq!(
        client.get("/me").await.json::<Value>(),
        json!({"user": "ann"})
    );

    let res = client.post("/logout").await;
    let field = res.header("set-cookie").expect("a removal");
    assert!(field.starts_with("fakesession=\"\"; expires="), "{field}");
    assert!(
        field.ends_with(" GMT; Max-Age=0; Path=/; SameSite=lax"),
        "{field}"
    );
    assert_eq!(client.cookie("fakesession"), None);
    assert_eq!(
        client.get("/me").await.json::<Value>(),
        json!({"user": null})
    );
}

#[tokio::test]
async fn a_value_that_needs_quotes_round_trips_through_the_client() {
    let client = TestClient::new(app());
    let res = client
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .text("user=ann+lee%2C+%22x%22")
        .await;
    assert_eq!(
        res.header("set-cookie"),
        Some(r#"fakesession="ann lee\054 \"x\""; HttpOnly; Max-Age=3600; Path=/; SameSite=lax"#)
    );
    // Read back as Starlette reads it: the quotes and escapes undone.
    assert_eq!(
        client.get("/me").await.json::<Value>(),
        json!({"user": "ann lee, \"x\""})
    );
}

/// A middleware sets a cookie on every response, beside the handler's.
async fn visited(req: Request, next: Next) -> sluice::Result<Response> {
    let mut response = next.run(req).await;
    response.set_cookie(
        Cookie::new("visited", "1")
            .no_path()
            .same_site(SameSite::Strict)
            .secure(true),
    )?;
    Ok(response)
}

#[tokio::test]
async fn a_middleware_adds_its_cookie_beside_the_handlers() {
    let client = TestClient::new(app().middleware(visited));
    let res = client
        .post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .text("user=bo")
        .await;
    assert_eq!(
        res.header_all("set-cookie"),
        [
            "fakesession=bo; HttpOnly; Max-Age=3600; Path=/; SameSite=lax",
            "visited=1; SameSite=strict; Secure",
        ]
    );
}

async fn bad_name() -> sluice::Result<Response> {
    let mut response = "never sent".into_response();
    response.set_cookie(Cookie::new("a b", "1"))?;
    Ok(response)
}

async fn injected_path() -> sluice::Result<Response> {
    let mut response = "never sent".into_response();
    response.set_cookie(Cookie::new("a", "1").path("/x; Domain=evil.example"))?;
    Ok(response)
}

#[tokio::test]
async fn a_cookie_that_cannot_be_written_is_a_500_and_sets_nothing() {
    let app = App::new()
        .get("/bad-name", bad_name)
        .get("/injected", injected_path);
    let client = TestClient::new(app).raise_server_exceptions(false);
    for path in ["/bad-name", "/injected"] {
        let res = client.get(path).await;
        assert_eq!(res.status(), 500, "{path}");
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Internal Server Error"}),
            "{path}"
        );
        assert_eq!(res.header("set-cookie"), None, "{path}");
        let error = res.error().expect("the error").to_string();
        assert!(error.contains("invalid cookie"), "{path}: {error}");
    }
}
