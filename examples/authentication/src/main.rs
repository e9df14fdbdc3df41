//! Authentication: the tutorial's middleware that requires
//! `Authorization: Bearer valid_token` everywhere except `/health`, and the
//! built-in `Authentication` with a verifier that finds the user.
//!
//! `app()` is the tutorial's hand-written check. `builtin_app()` uses
//! `sluice::middleware::Authentication::bearer(verify)`: the verifier
//! turns a token into a `User`, which handlers read with
//! `Extension<User>`; tokens are compared in constant time when you use
//! `StaticToken`.
//!
//! ```sh
//! cargo run -p example-authentication
//! curl -i http://127.0.0.1:8000/protected
//! curl -i -H 'Authorization: Bearer valid_token' http://127.0.0.1:8000/protected
//! ```

use serde_json::{json, Value};
use sluice::extract::Extension;
use sluice::middleware::{Authentication, Rejection};
use sluice::{App, HttpError, IntoResponse, Json, Next, Request, Response};

/// The tutorial's check: the whole header must be `Bearer valid_token`.
async fn authenticate(req: Request, next: Next) -> Response {
    if req.path() == "/health" {
        return next.run(req).await;
    }
    if req.header("authorization") != Some("Bearer valid_token") {
        return HttpError::new(401, "Unauthorized")
            .with_header("www-authenticate", "Bearer")
            .into_response();
    }
    next.run(req).await
}

async fn protected() -> Json<Value> {
    Json(json!({"message": "This is a protected route"}))
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The tutorial's app, with the hand-written middleware.
fn app() -> App {
    App::new()
        .get("/protected", protected)
        .get("/health", health)
        .middleware(authenticate)
}

/// Who a token belongs to.
#[derive(Clone, Debug)]
struct User {
    name: String,
}

/// Looks the token up (a database in a real app).
async fn verify(token: String) -> Result<User, Rejection> {
    match token.as_str() {
        "valid_token" => Ok(User {
            name: "alice".to_owned(),
        }),
        _ => Err(Rejection::unauthorized()),
    }
}

async fn me(Extension(user): Extension<User>) -> Json<Value> {
    Json(json!({ "user": user.name }))
}

/// The built-in: the user is in the request's extensions for handlers.
#[allow(dead_code)] // shown for comparison; `main` serves `app()`
fn builtin_app() -> App {
    App::new()
        .get("/protected", protected)
        .get("/me", me)
        .get("/health", health)
        .add_middleware(Authentication::bearer(verify).exempt("/health"))
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::{TestClient, TestResponse};

    fn assert_unauthorized(res: &TestResponse) {
        assert_eq!(res.status(), 401);
        assert_eq!(res.header("www-authenticate"), Some("Bearer"));
        assert_eq!(res.json::<Value>(), json!({"detail": "Unauthorized"}));
    }

    #[tokio::test]
    async fn hand_written_check_needs_the_exact_header() {
        let client = TestClient::new(app());
        assert_unauthorized(&client.get("/protected").await);
        let res = client
            .get("/protected")
            .header("authorization", "Bearer valid_token")
            .await;
        assert_eq!(
            res.json::<Value>(),
            json!({"message": "This is a protected route"})
        );
        let res = client
            .get("/protected")
            .header("authorization", "bearer valid_token")
            .await;
        assert_unauthorized(&res);
    }

    #[tokio::test]
    async fn health_is_public() {
        for client in [TestClient::new(app()), TestClient::new(builtin_app())] {
            let res = client.get("/health").await;
            assert_eq!(res.json::<Value>(), json!({"status": "ok"}));
        }
    }

    #[tokio::test]
    async fn built_in_gives_handlers_the_user() {
        let client = TestClient::new(builtin_app());
        let res = client
            .get("/me")
            .header("authorization", "Bearer valid_token")
            .await;
        assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
        assert_unauthorized(&client.get("/me").await);
        let res = client
            .get("/me")
            .header("authorization", "Bearer stolen")
            .await;
        assert_unauthorized(&res);
    }
}
