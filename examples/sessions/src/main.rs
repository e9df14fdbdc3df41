//! Sessions behind a proxy: login and logout with `Sessions`, in an app
//! that runs behind a TLS-terminating reverse proxy (`ProxyHeaders`).
//!
//! The proxy (say nginx on the same host) speaks https to browsers and
//! plain http to the app, adding `X-Forwarded-For` and
//! `X-Forwarded-Proto`. `ProxyHeaders` believes those from 127.0.0.1 only,
//! so the app sees the browser's address and scheme; `HttpsRedirect` then
//! sends plain-http visitors to https, and the session cookie is `secure`.
//! `POST /login` regenerates the session (so an id planted before login
//! never holds the user's session) and stores the user; `POST /logout`
//! ends it.
//!
//! The secret comes from `SESSION_SECRET` (32 bytes or more: generate one
//! with `openssl rand -base64 32`).
//!
//! ```sh
//! SESSION_SECRET=$(openssl rand -base64 32) cargo run -p example-sessions
//! curl -i -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-For: 203.0.113.9' \
//!      -H 'Content-Type: application/json' -d '{"username":"alice","password":"wonderland"}' \
//!      http://127.0.0.1:8000/login
//! ```

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::middleware::sessions::{Session, Sessions};
use sluice::middleware::{HttpsRedirect, ProxyHeaders};
use sluice::{App, ClientAddr, HttpError, Json};

#[derive(Deserialize, JsonSchema)]
struct Credentials {
    username: String,
    password: String,
}

/// Checks the password (a real app asks its user store) and starts the
/// user's session.
async fn login(
    session: Session,
    client: ClientAddr,
    Json(credentials): Json<Credentials>,
) -> sluice::Result<Json<Value>> {
    if credentials.username != "alice" || credentials.password != "wonderland" {
        return Err(HttpError::new(401, "Invalid username or password").into());
    }
    session.regenerate();
    session.insert("user", &credentials.username)?;
    session.insert("login_from", client.host())?;
    Ok(Json(json!({ "user": credentials.username })))
}

/// Who is logged in, and from where (the browser's address, not the
/// proxy's).
async fn me(session: Session) -> Result<Json<Value>, HttpError> {
    match session.get::<String>("user") {
        Some(user) => Ok(Json(json!({
            "user": user,
            "login_from": session.get::<String>("login_from"),
        }))),
        None => Err(HttpError::new(401, "Not logged in")),
    }
}

/// Ends the session: its cookie is expired.
async fn logout(session: Session) -> Json<Value> {
    session.clear();
    Json(json!({ "ok": true }))
}

fn app(secret: &str) -> App {
    App::new()
        .post("/login", login)
        .get("/me", me)
        .post("/logout", logout)
        .add_middleware(Sessions::new(secret).https_only(true))
        .add_middleware(HttpsRedirect::new())
        // Added last, so it runs first: everything else sees the client
        // and scheme the proxy reports.
        .add_middleware(ProxyHeaders::new().trusted(["127.0.0.1", "::1"]))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("SESSION_SECRET")
        .map_err(|_| "set SESSION_SECRET (e.g. `openssl rand -base64 32`)")?;
    app(&secret).run("127.0.0.1:8000").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::{RequestBuilder, TestClient, TestResponse};

    const SECRET: &str = "the example's secret, 32 bytes or more";

    /// A request as the proxy forwards it: from 127.0.0.1, for a browser
    /// at 203.0.113.9 that used https.
    fn via_proxy(req: RequestBuilder) -> RequestBuilder {
        req.header("x-forwarded-for", "203.0.113.9")
            .header("x-forwarded-proto", "https")
    }

    fn cookie(res: &TestResponse) -> String {
        let header = res.header("set-cookie").expect("a session cookie");
        header.split(';').next().expect("name=value").to_owned()
    }

    async fn log_in(client: &TestClient) -> TestResponse {
        via_proxy(client.post("/login"))
            .json(&json!({"username": "alice", "password": "wonderland"}))
            .await
    }

    #[tokio::test]
    async fn login_sets_a_secure_session_cookie() {
        let client = TestClient::new(app(SECRET));
        let res = log_in(&client).await;
        assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
        let set_cookie = res.header("set-cookie").expect("cookie");
        assert!(
            set_cookie.ends_with("; httponly; samesite=lax; secure"),
            "{set_cookie}"
        );
        assert_eq!(res.header("vary"), Some("Cookie"));
    }

    #[tokio::test]
    async fn the_session_remembers_the_user_and_the_browsers_address() {
        let client = TestClient::new(app(SECRET));
        let session = cookie(&log_in(&client).await);
        let res = via_proxy(client.get("/me"))
            .header("cookie", &session)
            .await;
        assert_eq!(
            res.json::<Value>(),
            json!({"user": "alice", "login_from": "203.0.113.9"})
        );
    }

    #[tokio::test]
    async fn logout_expires_the_cookie() {
        let client = TestClient::new(app(SECRET));
        let session = cookie(&log_in(&client).await);
        let res = via_proxy(client.post("/logout"))
            .header("cookie", &session)
            .await;
        assert!(res
            .header("set-cookie")
            .expect("cookie")
            .starts_with("session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT"));
    }

    #[tokio::test]
    async fn wrong_password_is_a_401_without_a_cookie() {
        let client = TestClient::new(app(SECRET));
        let res = via_proxy(client.post("/login"))
            .json(&json!({"username": "alice", "password": "guess"}))
            .await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.header("set-cookie"), None);
    }

    #[tokio::test]
    async fn without_a_session_me_is_a_401() {
        let client = TestClient::new(app(SECRET));
        assert_eq!(via_proxy(client.get("/me")).await.status(), 401);
    }

    #[tokio::test]
    async fn plain_http_through_the_proxy_is_redirected_to_https() {
        let client = TestClient::new(app(SECRET));
        let res = client
            .get("/me")
            .header("host", "app.example.com")
            .header("x-forwarded-proto", "http")
            .await;
        assert_eq!(res.status(), 307);
        assert_eq!(res.header("location"), Some("https://app.example.com/me"));
    }

    #[tokio::test]
    async fn a_client_that_is_not_the_proxy_cannot_claim_https() {
        let client =
            TestClient::new(app(SECRET)).client_addr("198.51.100.7:5000".parse().expect("addr"));
        let res = via_proxy(client.get("/me"))
            .header("host", "app.example.com")
            .await;
        assert_eq!(res.status(), 307);
    }
}
