//! `Metrics`: OpenTelemetry's HTTP server metrics, checked by counting
//! series after a known mix of requests and by Prometheus' own `promtool`.
#![cfg(feature = "metrics")]

use std::io::Write as _;
use std::process::{Command, Stdio};

use sluice::middleware::metrics::{ExpositionFormat, Metrics, DURATION_BUCKETS};
use sluice::testing::TestClient;
use sluice::{App, Body, HttpError, Method};

mod support;

fn app(metrics: Metrics) -> App {
    App::new()
        .get("/hello", || async { "hello" })
        .get(
            "/items/{item_id}",
            |sluice::Path(id): sluice::Path<i64>| async move { id.to_string() },
        )
        .get("/boom", || async {
            Err::<&str, _>(sluice::Error::msg("boom"))
        })
        .get("/teapot", || async { HttpError::new(418, "I'm a teapot") })
        .get("/stream", || async {
            let chunks = ["a", "b", "c"].map(|c| Ok::<_, std::io::Error>(sluice::Bytes::from(c)));
            sluice::Response::new(Body::from_stream(futures_util::stream::iter(chunks)))
        })
        .add_middleware(metrics)
}

/// The samples of the text format: `(name, labels, value)`.
fn samples(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, labels.trim_end_matches('}')),
                None => (series, ""),
            };
            (name.to_owned(), labels.to_owned(), value.to_owned())
        })
        .collect()
}

fn count_of(text: &str, labels: &str) -> Option<String> {
    samples(text)
        .into_iter()
        .find(|(name, l, _)| name == "http_server_request_duration_seconds_count" && l == labels)
        .map(|(_, _, value)| value)
}

/// Runs `promtool check metrics` on `text`, as Prometheus' maintainers
/// lint an exposition. Fails with a clear message when promtool is absent,
/// unless `SLUICE_SKIP_PROMTOOL=1` says to skip on purpose.
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if std::env::var_os("SLUICE_SKIP_PROMTOOL").is_some_and(|v| v == "1") => {
            eprintln!("skipping promtool check (SLUICE_SKIP_PROMTOOL=1): {e}");
            return;
        }
        Err(e) => panic!(
            "promtool is needed for this test (Debian package `prometheus`; .ci/run installs it): {e}; \
             set SLUICE_SKIP_PROMTOOL=1 to skip it on purpose"
        ),
    };
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads its input");
    let out = child.wait_with_output().expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}\n--- input ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_known_mix_of_requests_gives_exactly_its_series() {
    let client = TestClient::new(app(Metrics::new())).raise_server_exceptions(false);
    for _ in 0..3 {
        assert_eq!(client.get("/hello").await.status(), 200);
    }
    client.get("/items/1").await;
    client.get("/items/2").await;
    assert_eq!(client.get("/items/abc").await.status(), 422);
    // Random paths: no route, so no route label and one series for all.
    for i in 0..50 {
        assert_eq!(client.get(&format!("/random/{i}")).await.status(), 404);
    }
    assert_eq!(client.post("/hello").await.status(), 405);
    assert_eq!(client.get("/boom").await.status(), 500);
    assert_eq!(client.get("/teapot").await.status(), 418);
    let purge = Method::from_bytes(b"PURGE").expect("a method");
    assert_eq!(client.request(purge, "/hello").await.status(), 405);
    // Scrapes are not recorded.
    client.get("/metrics").await;

    let res = client.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = res.text();
    let counts: Vec<(String, String)> = samples(&text)
        .into_iter()
        .filter(|(name, _, _)| name == "http_server_request_duration_seconds_count")
        .map(|(_, labels, value)| (labels, value))
        .collect();
    let m = "http_request_method";
    let s = "http_response_status_code";
    let expected = [
        (
            format!(r#"{m}="GET",{s}="200",http_route="/hello",url_scheme="http""#),
            "3",
        ),
        (
            format!(r#"{m}="GET",{s}="200",http_route="/items/{{item_id}}",url_scheme="http""#),
            "2",
        ),
        (
            format!(r#"{m}="GET",{s}="422",http_route="/items/{{item_id}}",url_scheme="http""#),
            "1",
        ),
        (format!(r#"{m}="GET",{s}="404",url_scheme="http""#), "50"),
        (format!(r#"{m}="POST",{s}="405",url_scheme="http""#), "1"),
        (
            format!(r#"error_type="500",{m}="GET",{s}="500",http_route="/boom",url_scheme="http""#),
            "1",
        ),
        (
            format!(r#"{m}="GET",{s}="418",http_route="/teapot",url_scheme="http""#),
            "1",
        ),
        (format!(r#"{m}="_OTHER",{s}="405",url_scheme="http""#), "1"),
    ];
    assert_eq!(counts.len(), expected.len(), "series: {counts:#?}");
    for (labels, value) in expected {
        assert_eq!(
            counts
                .iter()
                .find(|(l, _)| *l == labels)
                .map(|(_, v)| v.as_str()),
            Some(value),
            "{labels} in {counts:#?}"
        );
    }
    // Each series has the recommended buckets and +Inf, sum and count.
    let buckets: Vec<String> = samples(&text)
        .into_iter()
        .filter(|(name, labels, _)| {
            name == "http_server_request_duration_seconds_bucket"
                && labels.contains(r#"http_route="/hello""#)
        })
        .map(|(_, labels, _)| {
            let le = labels.split("le=\"").nth(1).expect("le label");
            le[..le.find('"').expect("closed")].to_owned()
        })
        .collect();
    let mut wanted: Vec<String> = DURATION_BUCKETS.iter().map(|b| format!("{b:?}")).collect();
    wanted.push("+Inf".to_owned());
    assert_eq!(buckets, wanted);
    // The active gauge: one series per method and scheme seen, idle now.
    let active: Vec<(String, String)> = samples(&text)
        .into_iter()
        .filter(|(name, _, _)| name == "http_server_active_requests")
        .map(|(_, labels, value)| (labels, value))
        .collect();
    assert_eq!(active.len(), 3, "{active:?}");
    assert!(active.iter().all(|(_, value)| value == "0"));
    assert!(active.contains(&(
        r#"http_request_method="_OTHER",url_scheme="http""#.to_owned(),
        "0".to_owned()
    )));
    assert!(!text.contains("# EOF"));
    assert!(!text.contains("# UNIT"));
    assert!(text.contains("# TYPE http_server_request_duration_seconds histogram\n"));
    assert!(text.contains("# TYPE http_server_active_requests gauge\n"));
    // The conventions' descriptions, once punctuated.
    assert!(text.contains(
        "# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
    ));
    assert!(text
        .contains("# HELP http_server_active_requests Number of active HTTP server requests.\n"));
    promtool_check(&text);
}

#[tokio::test]
async fn openmetrics_when_accept_asks_for_it_and_promtool_accepts_both() {
    let client = TestClient::new(app(Metrics::new())).raise_server_exceptions(false);
    client.get("/hello").await;
    client.get("/boom").await;
    let res = client
        .get("/metrics")
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )
        .await;
    assert_eq!(
        res.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = res.text();
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("# UNIT http_server_request_duration_seconds seconds\n"));
    promtool_check(&text);

    let plain = client
        .get("/metrics")
        .header("accept", "text/plain")
        .await
        .text();
    promtool_check(&plain);
    // The same samples in both.
    assert_eq!(samples(&plain), samples(&text));
}

#[tokio::test]
async fn the_metrics_path_answers_get_and_head_only() {
    let client = TestClient::new(app(Metrics::new().path("/internal/metrics")))
        .raise_server_exceptions(false);
    client.get("/hello").await;
    assert_eq!(client.get("/metrics").await.status(), 404);
    let res = client.get("/internal/metrics").await;
    assert!(res
        .text()
        .contains("http_server_request_duration_seconds_count"));
    let res = client.head("/internal/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().is_empty());
    let res = client.post("/internal/metrics").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD"));
    // The 404 above was recorded; the scrapes were not.
    let text = client.get("/internal/metrics").await.text();
    assert_eq!(
        count_of(
            &text,
            r#"http_request_method="GET",http_response_status_code="404",url_scheme="http""#
        ),
        Some("1".to_owned())
    );
    assert_eq!(
        samples(&text)
            .iter()
            .filter(|(n, _, _)| n.ends_with("_count"))
            .count(),
        2
    );
}

#[tokio::test]
async fn a_path_without_a_slash_is_refused_when_the_app_is_built() {
    let err = App::new()
        .add_middleware(Metrics::new().path("metrics"))
        .build()
        .expect_err("invalid path");
    assert!(err.to_string().contains("must start with '/'"), "{err}");
}

#[tokio::test]
async fn a_request_is_active_while_it_is_handled() {
    let metrics = Metrics::new();
    let seen = metrics.clone();
    let app = App::new()
        .get("/inside", move || {
            let seen = seen.clone();
            async move { seen.render(ExpositionFormat::Prometheus) }
        })
        .add_middleware(metrics);
    let client = TestClient::new(app);
    let inside = client.get("/inside").await.text();
    assert!(
        inside.contains(
            r#"http_server_active_requests{http_request_method="GET",url_scheme="http"} 1"#
        ),
        "{inside}"
    );
    let after = client.get("/metrics").await.text();
    assert!(after
        .contains(r#"http_server_active_requests{http_request_method="GET",url_scheme="http"} 0"#));
}

#[tokio::test]
async fn the_scheme_label_is_the_requests_scheme() {
    let client = TestClient::new(app(Metrics::new()))
        .raise_server_exceptions(false)
        .base_url("https://example.com");
    client.get("/hello").await;
    let text = client.get("/metrics").await.text();
    assert_eq!(
        count_of(
            &text,
            r#"http_request_method="GET",http_response_status_code="200",http_route="/hello",url_scheme="https""#
        ),
        Some("1".to_owned())
    );
}

#[tokio::test]
async fn a_streamed_response_is_recorded_when_its_body_ends() {
    let client = TestClient::new(app(Metrics::new())).raise_server_exceptions(false);
    let res = client.get("/stream").await;
    assert_eq!(res.text(), "abc");
    let text = client.get("/metrics").await.text();
    assert_eq!(
        count_of(
            &text,
            r#"http_request_method="GET",http_response_status_code="200",http_route="/stream",url_scheme="http""#
        ),
        Some("1".to_owned())
    );
    assert!(text
        .contains(r#"http_server_active_requests{http_request_method="GET",url_scheme="http"} 0"#));
}

#[tokio::test]
async fn a_cancelled_request_leaves_the_active_gauge() {
    let metrics = Metrics::new();
    let app = App::new()
        .get("/slow", || async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            "late"
        })
        .add_middleware(metrics.clone());
    let service = app.build().expect("valid app");
    let req = sluice::http::Request::get("/slow")
        .body(Body::empty())
        .expect("a request");
    let call = tower::ServiceExt::oneshot(service, req);
    // Give up on it while the handler sleeps: the client went away.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(50), call)
            .await
            .is_err()
    );
    let text = metrics.render(ExpositionFormat::Prometheus);
    assert!(
        text.contains(
            r#"http_server_active_requests{http_request_method="GET",url_scheme="http"} 0"#
        ),
        "{text}"
    );
    assert!(!text.contains("http_server_request_duration_seconds_count"));
}

#[test]
fn requests_on_many_threads_are_all_counted_once() {
    // Each thread records into cells of its own; the scrape adds them up.
    let metrics = Metrics::new();
    let service = app(metrics.clone()).build().expect("a valid app");
    let (threads, per_thread) = (4, 250);
    support::on_threads(threads, |_| async {
        for i in 0..per_thread {
            let path = if i % 2 == 0 { "/hello" } else { "/items/7" };
            assert_eq!(support::get(&service, path).await.0.status, 200);
        }
    });
    let text = metrics.render(ExpositionFormat::Prometheus);
    let m = "http_request_method";
    let s = "http_response_status_code";
    for route in ["/hello", "/items/{item_id}"] {
        let labels = format!(r#"{m}="GET",{s}="200",http_route="{route}",url_scheme="http""#);
        let expected = (threads * per_thread / 2).to_string();
        assert_eq!(
            count_of(&text, &labels).as_deref(),
            Some(&*expected),
            "{text}"
        );
        let inf = samples(&text)
            .into_iter()
            .find(|(name, l, _)| {
                name == "http_server_request_duration_seconds_bucket"
                    && *l == format!(r#"le="+Inf",{labels}"#)
            })
            .map(|(_, _, value)| value);
        assert_eq!(inf.as_deref(), Some(&*expected), "{text}");
    }
    assert!(
        text.contains(
            r#"http_server_active_requests{http_request_method="GET",url_scheme="http"} 0"#
        ),
        "{text}"
    );
}

/// A tower layer that runs the rest of the stack on a task of its own, as
/// `tower::buffer` does: the route must still reach `Metrics`.
#[derive(Clone)]
struct OnOwnTask<S>(S);

impl<S> tower::Service<sluice::http::Request<Body>> for OnOwnTask<S>
where
    S: tower::Service<sluice::http::Request<Body>, Response = sluice::Response>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
{
    type Response = sluice::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<sluice::Response, S::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: sluice::http::Request<Body>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move {
            let task = tokio::spawn(tower::ServiceExt::oneshot(inner, req));
            task.await.expect("the inner task ran")
        })
    }
}

fn route_count(text: &str, route: &str) -> Option<String> {
    count_of(
        text,
        &format!(
            r#"http_request_method="GET",http_response_status_code="200",http_route="{route}",url_scheme="http""#
        ),
    )
}

#[tokio::test]
async fn the_route_is_labelled_when_a_tower_layer_runs_the_rest_on_its_own_task() {
    let app = App::new()
        .get(
            "/items/{item_id}",
            |sluice::Path(id): sluice::Path<i64>| async move { id.to_string() },
        )
        .add_layer(tower::layer::layer_fn(OnOwnTask))
        .add_middleware(Metrics::new());
    let client = TestClient::new(app);
    for id in 0..3 {
        assert_eq!(
            client.get(&format!("/items/{id}")).await.text(),
            id.to_string()
        );
    }
    let text = client.get("/metrics").await.text();
    assert_eq!(
        route_count(&text, "/items/{item_id}"),
        Some("3".to_owned()),
        "{text}"
    );
}

fn items_app() -> App {
    App::new().get(
        "/items/{item_id}",
        |sluice::Path(id): sluice::Path<i64>| async move { id.to_string() },
    )
}

/// The count of GET series with `route` and `status`.
fn route_status_count(text: &str, route: &str, status: u16) -> Option<String> {
    count_of(
        text,
        &format!(
            r#"http_request_method="GET",http_response_status_code="{status}",http_route="{route}",url_scheme="http""#
        ),
    )
}

#[tokio::test]
async fn a_mounted_apps_route_is_labelled_after_the_mounts_path() {
    let metrics = Metrics::new();
    let inner = App::new()
        .mount(
            "/v2",
            items_app().build().expect("the innermost app builds"),
        )
        .get("/", || async { "api root" });
    let api = items_app().mount("/inner", inner.build().expect("the inner app builds"));
    let app = App::new()
        .mount("/api", api.build().expect("the mounted app builds"))
        .mount("/", items_app().build().expect("the root mount builds"))
        .get("/hello", || async { "hello" })
        // On a route: the route is known before this `Metrics` runs.
        .route(
            "/on-route/{name}",
            sluice::routing::get(|| async { "on route" }).add_middleware(metrics.clone()),
        )
        .add_middleware(Metrics::new());
    let client = TestClient::new(app);
    assert_eq!(client.get("/api/items/5").await.text(), "5");
    assert_eq!(client.get("/api/items/6").await.text(), "6");
    assert_eq!(client.get("/api/inner/").await.text(), "api root");
    assert_eq!(client.get("/api/inner/v2/items/7").await.text(), "7");
    assert_eq!(client.get("/items/8").await.text(), "8");
    assert_eq!(client.get("/api/nothing").await.status(), 404);
    assert_eq!(client.get("/hello").await.text(), "hello");
    assert_eq!(client.get("/on-route/x").await.text(), "on route");
    let text = client.get("/metrics").await.text();
    assert_eq!(route_count(&text, "/hello"), Some("1".to_owned()), "{text}");
    // The mount's path, then the mounted app's template, as Starlette's
    // root path and route make `http.route`; the same series each time.
    assert_eq!(
        route_count(&text, "/api/items/{item_id}"),
        Some("2".to_owned()),
        "{text}"
    );
    // Mounts in mounts, each path once.
    assert_eq!(route_count(&text, "/api/inner/"), Some("1".to_owned()));
    assert_eq!(
        route_count(&text, "/api/inner/v2/items/{item_id}"),
        Some("1".to_owned()),
        "{text}"
    );
    // An app mounted at `/` adds no slash of its own.
    assert_eq!(
        route_count(&text, "/items/{item_id}"),
        Some("1".to_owned()),
        "{text}"
    );
    // Nothing in the mounted app matched: the mount's path alone.
    assert_eq!(
        route_status_count(&text, "/api", 404),
        Some("1".to_owned()),
        "{text}"
    );
    // No series under the bare mount paths for what their apps matched.
    assert_eq!(route_count(&text, "/api"), None, "{text}");
    assert_eq!(route_count(&text, "/api/inner"), None, "{text}");
    let route_level = metrics.render(ExpositionFormat::Prometheus);
    assert_eq!(
        route_count(&route_level, "/on-route/{name}"),
        Some("1".to_owned()),
        "{route_level}"
    );
}

#[tokio::test]
async fn a_mounted_services_requests_are_labelled_with_the_mounts_path() {
    let service = tower::service_fn(|_req: sluice::http::Request<Body>| async {
        Ok::<_, std::convert::Infallible>(sluice::http::Response::new(Body::from("static")))
    });
    let app = App::new()
        .mount("/static", service)
        .add_middleware(Metrics::new());
    let client = TestClient::new(app);
    assert_eq!(client.get("/static/a.css").await.text(), "static");
    assert_eq!(client.get("/static/b/c.js").await.text(), "static");
    let text = client.get("/metrics").await.text();
    assert_eq!(
        route_count(&text, "/static"),
        Some("2".to_owned()),
        "{text}"
    );
}

#[tokio::test]
async fn under_a_root_path_the_route_label_starts_with_it() {
    let app = items_app()
        .mount("/sub", items_app().build().expect("the mounted app builds"))
        .root_path("/api/v1")
        .add_middleware(Metrics::new());
    let client = TestClient::new(app);
    // Through a proxy that passes the prefix on, and one that took it off.
    assert_eq!(client.get("/api/v1/items/1").await.text(), "1");
    assert_eq!(client.get("/items/2").await.text(), "2");
    assert_eq!(client.get("/api/v1/sub/items/3").await.text(), "3");
    assert_eq!(client.get("/sub/items/4").await.text(), "4");
    let text = client.get("/metrics").await.text();
    assert_eq!(
        route_count(&text, "/api/v1/items/{item_id}"),
        Some("2".to_owned()),
        "{text}"
    );
    assert_eq!(
        route_count(&text, "/api/v1/sub/items/{item_id}"),
        Some("2".to_owned()),
        "{text}"
    );
    assert_eq!(route_count(&text, "/items/{item_id}"), None, "{text}");
    // Like a route, the metrics are served under the root path too, and
    // neither way is recorded.
    let prefixed = client.get("/api/v1/metrics").await;
    assert_eq!(prefixed.status(), 200);
    let text = prefixed.text();
    assert!(
        text.contains("http_server_request_duration_seconds"),
        "{text}"
    );
    assert!(!text.contains("metrics\""), "{text}");
    assert_eq!(client.get("/api/v1x/metrics").await.status(), 404);
}

#[tokio::test]
async fn under_a_root_path_handlers_still_see_the_declared_template() {
    let app = App::new().root_path("/api/v1").get(
        "/items/{item_id}",
        |req: sluice::Request| async move {
            req.route()
                .map(|r| r.template().to_owned())
                .unwrap_or_default()
        },
    );
    let client = TestClient::new(app);
    assert_eq!(
        client.get("/api/v1/items/1").await.text(),
        "/items/{item_id}"
    );
    assert_eq!(client.get("/items/1").await.text(), "/items/{item_id}");
}
