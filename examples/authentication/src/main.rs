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
//! `oauth2_app()` is FastAPI's "Simple OAuth2 with Password and Bearer":
//! `POST /token` takes the username and password as a form (`Form<T>`, as
//! `OAuth2PasswordRequestForm`) and answers with a bearer token; the
//! document shows FastAPI's `OAuth2PasswordBearer` scheme, so `/docs`'
//! Authorize button asks for the username and password.
//!
//! ```sh
//! cargo run -p example-authentication
//! curl -i http://127.0.0.1:8000/protected
//! curl -i -H 'Authorization: Bearer valid_token' http://127.0.0.1:8000/protected
//! ```

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use sluice::extract::{Extension, Form};
use sluice::middleware::{Authentication, Rejection};
use sluice::openapi::{OpenApi, SecurityScheme};
use sluice::routing::get;
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

/// The form of OAuth2's password flow, as FastAPI's
/// `OAuth2PasswordRequestForm` reads it.
#[derive(Deserialize, JsonSchema)]
struct TokenRequest {
    username: String,
    password: String,
    /// Space-separated scopes; none asked for here.
    #[serde(default)]
    #[allow(dead_code)]
    scope: String,
    #[allow(dead_code)]
    grant_type: Option<String>,
}

/// Trades a username and password for a token (a real app checks a hash
/// and signs a token).
async fn token(Form(form): Form<TokenRequest>) -> Result<Json<Value>, HttpError> {
    if form.username == "alice" && form.password == "secret" {
        Ok(Json(
            json!({ "access_token": "valid_token", "token_type": "bearer" }),
        ))
    } else {
        Err(HttpError::new(400, "Incorrect username or password"))
    }
}

/// FastAPI's OAuth2 password tutorial: the token endpoint, and a route
/// that wants the token, documented with the `OAuth2PasswordBearer`
/// scheme.
#[allow(dead_code)] // shown for comparison; `main` serves `app()`
fn oauth2_app() -> App {
    let bearer =
        Authentication::bearer(verify).openapi_scheme(SecurityScheme::oauth2_password("token"));
    App::new()
        .post("/token", token)
        .route("/users/me", get(me).add_middleware(bearer))
        .openapi(OpenApi::new().title("OAuth2 password flow"))
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
    async fn the_password_flow_trades_a_form_for_a_token() {
        let client = TestClient::new(oauth2_app());
        let form = "application/x-www-form-urlencoded";
        let res = client
            .post("/token")
            .header("content-type", form)
            .body("grant_type=password&username=alice&password=secret")
            .await;
        let token = res.json::<Value>();
        assert_eq!(
            token,
            json!({"access_token": "valid_token", "token_type": "bearer"})
        );
        let res = client
            .get("/users/me")
            .header("authorization", "Bearer valid_token")
            .await;
        assert_eq!(res.json::<Value>(), json!({"user": "alice"}));
        assert_unauthorized(&client.get("/users/me").await);
        let res = client
            .post("/token")
            .header("content-type", form)
            .body("username=alice&password=guess")
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(
            res.json::<Value>(),
            json!({"detail": "Incorrect username or password"})
        );
        // The document names FastAPI's scheme, so `/docs` asks for a
        // username and password.
        let doc = client.get("/openapi.json").await.json::<Value>();
        assert_eq!(
            doc["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
                ["tokenUrl"],
            "token"
        );
        assert_eq!(
            doc["paths"]["/users/me"]["get"]["security"],
            json!([{"OAuth2PasswordBearer": []}])
        );
        assert!(doc["paths"]["/token"]["post"]["requestBody"]["content"]
            .get(form)
            .is_some());
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
