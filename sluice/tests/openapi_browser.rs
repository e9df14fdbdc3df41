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
use sluice::middleware::{Authentication, StaticToken};
use sluice::openapi::{OpenApi, SecurityScheme};
use sluice::routing::post;
use sluice::{App, Html, Json, Request, Server, StatusCode};

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
                .status(StatusCode::CREATED)
                .add_middleware(
                    Authentication::bearer(StaticToken::new("s3cret"))
                        .openapi_scheme(SecurityScheme::oauth2_password("token")),
                ),
        )
        .openapi(
            OpenApi::new()
                .title("Browser test")
                .swagger_ui_init_oauth(serde_json::json!({ "clientId": "browser-test" })),
        )
}

/// Serves the app on a free port for `f`, which gets the base URL.
async fn with_server(f: impl FnOnce(String) -> String + Send + 'static) -> String {
    with_app_server(app(), f).await
}

/// Serves `app` on a free port for `f`, which gets the base URL.
async fn with_app_server(app: App, f: impl FnOnce(String) -> String + Send + 'static) -> String {
    let server = Server::bind("127.0.0.1:0").await.expect("bind a free port");
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(
        server
            .with_shutdown_signal(async move {
                let _ = stopped.await;
            })
            .serve(app),
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
    // With an OAuth2 scheme and `initOAuth` settings, the page still
    // starts, and offers its Authorize button.
    assert!(dom.contains("btn authorize"), "no Authorize button:\n{dom}");
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

/// Stands in for the Swagger UI window that opened an OAuth2 flow: it
/// sets what Swagger UI sets (`window.swaggerUIRedirectOauth2`), for the
/// flow named in its query, then opens the redirect page as the
/// authorization server would send the user back to it (the rest of the
/// query). The page writes what the redirect page handed back.
async fn opener(req: Request) -> Html<String> {
    let query = req.uri().query().unwrap_or_default().to_owned();
    let (flow, back) = query.split_once('&').unwrap_or((&query, ""));
    let flow = flow.trim_start_matches("flow=");
    let back = back.replacen("back=", "", 1);
    Html(format!(
        r#"<!DOCTYPE html><html><body><pre id="result">waiting</pre><script>
const seen = [];
const show = () => {{ document.getElementById("result").textContent = seen.join("\n"); }};
window.swaggerUIRedirectOauth2 = {{
  state: "s1",
  redirectUrl: window.location.origin + "/docs/oauth2-redirect",
  auth: {{ name: "oauth", schema: {{ get: (key) => key === "flow" ? "{flow}" : undefined }} }},
  callback: (got) => {{ seen.push("callback code=" + got.auth.code + " token=" + JSON.stringify(got.token || null) + " valid=" + got.isValid); show(); }},
  errCb: (err) => {{ seen.push(err.level + ": " + err.message); show(); }},
}};
window.open(decodeURIComponent("{back}"));
</script></body></html>"#
    ))
}

/// What the opener page holds once the redirect page is done.
fn oauth_result(dom: &str) -> &str {
    let start = dom.find(r#"<pre id="result">"#).expect("the result") + 17;
    let end = start + dom[start..].find("</pre>").expect("its end");
    &dom[start..end]
}

/// `/docs/oauth2-redirect` in a real browser: Swagger UI's script hands
/// the code (authorization code flow) or the token (implicit flow) to the
/// window that opened it, checks the state, and reports the server's
/// error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oauth2_redirect_page_hands_the_code_back_in_chromium() {
    let Some(chromium) = test_support::chromium() else {
        return;
    };
    let app = app().get("/opener", opener);
    let results = with_app_server(app, move |base| {
        let cases = [
            ("authorizationCode", "/docs/oauth2-redirect?code=abc&state=s1"),
            ("authorizationCode", "/docs/oauth2-redirect?code=abc&state=forged"),
            (
                "authorizationCode",
                "/docs/oauth2-redirect?error=access_denied&error_description=Denied%20by%20user&state=s1",
            ),
            ("implicit", "/docs/oauth2-redirect#access_token=t0k&token_type=bearer&state=s1"),
        ];
        let mut results = Vec::new();
        for (flow, back) in cases {
            let back: String = back
                .bytes()
                .map(|b| format!("%{b:02X}"))
                .collect();
            let url = format!("{base}/opener?flow={flow}&back={back}");
            let dom = test_support::dump_dom_with(&chromium, &url, &["--disable-popup-blocking"]);
            results.push(oauth_result(&dom).to_owned());
        }
        results.join("\n--\n")
    })
    .await;
    let expected = [
        "callback code=abc token=null valid=undefined",
        "warning: Authorization may be unsafe, passed state was changed in server Passed state wasn't returned from auth server\n\
         callback code=abc token=null valid=undefined",
        "error: [access_denied]: Denied by user. ",
        r#"callback code=undefined token={"access_token":"t0k","token_type":"bearer","state":"s1"} valid=true"#,
    ]
    .join("\n--\n");
    assert_eq!(results, expected);
}
