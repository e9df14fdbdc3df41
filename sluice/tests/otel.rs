//! `Tracing`: spans exported over OTLP/HTTP to a real receiver started by
//! the test (a server decoding the protobuf messages with
//! `opentelemetry-proto`), W3C trace context, flush on shutdown, and
//! collectors that refuse connections or do not answer.
#![cfg(feature = "otel")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, Span};
use prost::Message as _;
use sluice::middleware::{otel, Tracing};
use sluice::testing::TestClient;
use sluice::{App, BackgroundTasks, Bytes, HttpError, Method, Next, Request, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An OTLP/HTTP receiver on a free loopback port.
struct Collector {
    url: String,
    spans: Arc<Mutex<Vec<Span>>>,
    content_types: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Collector {
    async fn start() -> Collector {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let content_types = Arc::new(Mutex::new(Vec::new()));
        let (kept, types) = (spans.clone(), content_types.clone());
        let app = App::new().post("/v1/traces", move |mut req: Request| {
            let (kept, types) = (kept.clone(), types.clone());
            async move {
                types
                    .lock()
                    .expect("as the test set it up")
                    .push(req.header("content-type").unwrap_or("").to_owned());
                let body = req.bytes().await.map_err(sluice::Error::new)?;
                let export = ExportTraceServiceRequest::decode(body).map_err(sluice::Error::new)?;
                let mut kept = kept.lock().expect("not poisoned");
                for resource in export.resource_spans {
                    for scope in resource.scope_spans {
                        kept.extend(scope.spans);
                    }
                }
                let answer = ExportTraceServiceResponse::default().encode_to_vec();
                Ok::<_, sluice::Error>(([("content-type", "application/x-protobuf")], answer))
            }
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = Server::bind("127.0.0.1:0")
            .await
            .expect("a free port")
            .with_shutdown_signal(async {
                let _ = stopped.await;
            });
        let url = format!("http://{}", server.local_addr());
        tokio::spawn(server.serve(app));
        Collector {
            url,
            spans,
            content_types,
            stop: Some(stop),
        }
    }

    fn spans(&self) -> Vec<Span> {
        self.spans.lock().expect("not poisoned").clone()
    }

    /// Waits until `n` spans have arrived, for at most `limit`.
    async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Span> {
        let deadline = Instant::now() + limit;
        loop {
            let spans = self.spans();
            if spans.len() >= n || Instant::now() > deadline {
                return spans;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a AnyValue> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn str_attr<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    match attr(span, key) {
        Some(AnyValue::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The app of the `observability` scenario, with the traceparent the
/// handler would send on in `/outgoing`.
fn app(tracing: Tracing) -> App {
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
        .get("/outgoing", || async {
            let mut headers = sluice::HeaderMap::new();
            otel::inject(&mut headers);
            let value = |name| {
                headers
                    .get(name)
                    .map(|v: &sluice::HeaderValue| v.to_str().unwrap_or("").to_owned())
                    .unwrap_or_default()
            };
            format!("{}|{}", value("traceparent"), value("tracestate"))
        })
        .add_middleware(tracing)
}

fn by_path<'a>(spans: &'a [Span], path: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| str_attr(s, "url.path") == Some(path))
        .unwrap_or_else(|| panic!("no span for {path} in {spans:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_spans_follow_the_conventions_and_arrive_within_five_seconds() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url)
        .service_name("otel-test")
        .build()
        .expect("valid settings");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    let sent = Instant::now();
    client.get("/items/42?q=1&sig=secret&sig").await;
    client.get("/no/such/path").await;
    client.get("/boom").await;
    client.get("/teapot").await;
    client
        .request(
            Method::from_bytes(b"PURGE").expect("as the test set it up"),
            "/hello",
        )
        .await;

    let spans = collector.wait_for(5, Duration::from_secs(5)).await;
    assert_eq!(spans.len(), 5, "exported within 5 s: {spans:#?}");
    assert!(sent.elapsed() < Duration::from_secs(5));
    assert!(collector
        .content_types
        .lock()
        .expect("as the test set it up")
        .iter()
        .all(|t| t == "application/x-protobuf"));

    let item = by_path(&spans, "/items/42");
    assert_eq!(item.name, "GET /items/{item_id}");
    assert_eq!(item.kind, SpanKind::Server as i32);
    assert_eq!(str_attr(item, "http.request.method"), Some("GET"));
    assert_eq!(str_attr(item, "http.route"), Some("/items/{item_id}"));
    assert_eq!(str_attr(item, "url.scheme"), Some("http"));
    // Signed URLs' secrets are redacted, as the conventions ask.
    assert_eq!(str_attr(item, "url.query"), Some("q=1&sig=REDACTED&sig"));
    assert_eq!(
        attr(item, "http.response.status_code"),
        Some(&AnyValue::IntValue(200))
    );
    assert_eq!(
        item.status.as_ref().map_or(0, |s| s.code),
        StatusCode::Unset as i32
    );
    assert!(item.parent_span_id.is_empty());
    assert!(item.end_time_unix_nano >= item.start_time_unix_nano);

    let missing = by_path(&spans, "/no/such/path");
    assert_eq!(missing.name, "GET");
    assert_eq!(str_attr(missing, "url.query"), None);
    assert_eq!(str_attr(missing, "http.route"), None);
    assert_eq!(
        attr(missing, "http.response.status_code"),
        Some(&AnyValue::IntValue(404))
    );
    assert_eq!(
        missing.status.as_ref().map_or(0, |s| s.code),
        StatusCode::Unset as i32
    );
    assert_eq!(str_attr(missing, "error.type"), None);

    let boom = by_path(&spans, "/boom");
    assert_eq!(boom.name, "GET /boom");
    let status = boom.status.as_ref().expect("a status");
    assert_eq!(status.code, StatusCode::Error as i32);
    assert_eq!(status.message, "");
    assert_eq!(str_attr(boom, "error.type"), Some("500"));

    let teapot = by_path(&spans, "/teapot");
    assert_eq!(
        teapot.status.as_ref().map_or(0, |s| s.code),
        StatusCode::Unset as i32
    );

    let purge = by_path(&spans, "/hello");
    assert_eq!(purge.name, "HTTP");
    assert_eq!(str_attr(purge, "http.request.method"), Some("_OTHER"));
    assert_eq!(
        str_attr(purge, "http.request.method_original"),
        Some("PURGE")
    );

    tracing.shutdown().await.expect("flushed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_names_the_root_path_and_the_mount_as_starlette_does() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url)
        .build()
        .expect("valid settings");
    let items = || {
        App::new().get(
            "/items/{item_id}",
            |sluice::Path(id): sluice::Path<i64>| async move { id.to_string() },
        )
    };
    let app = items()
        .mount("/sub", items().build().expect("the mounted app builds"))
        .root_path("/api/v1")
        .add_middleware(tracing);
    let client = TestClient::new(app);
    for path in [
        "/api/v1/items/1",
        "/items/2",
        "/api/v1/sub/items/3",
        "/sub/nothing",
    ] {
        client.get(path).await;
    }
    let spans = collector.wait_for(4, Duration::from_secs(5)).await;
    assert_eq!(spans.len(), 4, "{spans:#?}");
    // Starlette 1.10's OpenTelemetryMiddleware names the same routes so:
    // the root path, the mount's path, the template.
    for (path, route) in [
        ("/api/v1/items/1", "/api/v1/items/{item_id}"),
        ("/items/2", "/api/v1/items/{item_id}"),
        ("/api/v1/sub/items/3", "/api/v1/sub/items/{item_id}"),
        ("/sub/nothing", "/api/v1/sub"),
    ] {
        let span = by_path(&spans, path);
        assert_eq!(str_attr(span, "http.route"), Some(route), "{span:#?}");
        assert_eq!(span.name, format!("GET {route}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_sampled_traceparent_makes_the_span_its_child() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url).build().expect("valid");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    let res = client
        .get("/outgoing")
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .header("tracestate", "vendor1=opaque1")
        .header("tracestate", "vendor2=opaque2")
        .await;
    tracing.shutdown().await.expect("flushed");
    let spans = collector.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(hex(&span.trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&span.parent_span_id), "b7ad6b7169203331");
    assert_eq!(span.trace_state, "vendor1=opaque1,vendor2=opaque2");
    // What the handler passes on names the server span.
    let text = res.text();
    let (traceparent, tracestate) = text.split_once('|').expect("two parts");
    assert_eq!(
        traceparent,
        format!(
            "00-0af7651916cd43dd8448eb211c80319c-{}-01",
            hex(&span.span_id)
        )
    );
    assert_eq!(tracestate, "vendor1=opaque1,vendor2=opaque2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_traceparents_are_ignored_and_start_a_new_trace() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url).build().expect("valid");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    let invalid = [
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
        "garbage",
    ];
    for (i, header) in invalid.iter().enumerate() {
        let res = client
            .get(&format!("/items/{i}"))
            .header("traceparent", *header)
            .await;
        assert_eq!(res.status(), 200);
    }
    // Two traceparent headers: invalid as a whole.
    client
        .get("/items/100")
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203332-01",
        )
        .await;
    tracing.shutdown().await.expect("flushed");
    let spans = collector.spans();
    assert_eq!(spans.len(), invalid.len() + 1);
    for span in &spans {
        assert!(span.parent_span_id.is_empty(), "a root span: {span:?}");
        assert_ne!(hex(&span.trace_id), "0af7651916cd43dd8448eb211c80319c");
        assert_ne!(hex(&span.trace_id), "00000000000000000000000000000000");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_future_version_is_read_and_an_unsampled_parent_is_respected() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url).build().expect("valid");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    client
        .get("/items/1")
        .header(
            "traceparent",
            "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future-fields",
        )
        .await;
    // Not sampled by the caller: not recorded, but propagated as such.
    let res = client
        .get("/outgoing")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
        )
        .header("tracestate", "vendor1=opaque1")
        .await;
    let text = res.text();
    assert!(
        text.ends_with("|vendor1=opaque1"),
        "the caller's state goes on: {text}"
    );
    assert!(
        text.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{text}"
    );
    assert!(
        text.split('|')
            .next()
            .expect("as the test set it up")
            .ends_with("-00"),
        "{text}"
    );
    assert!(!text.contains("00f067aa0ba902b7"));
    tracing.shutdown().await.expect("flushed");
    let spans = collector.spans();
    assert_eq!(spans.len(), 1, "{spans:#?}");
    assert_eq!(hex(&spans[0].trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&spans[0].parent_span_id), "b7ad6b7169203331");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_off_records_nothing_but_still_propagates() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url)
        .sample_ratio(0.0)
        .build()
        .expect("valid");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    let text = client.get("/outgoing").await.text();
    assert!(
        text.starts_with("00-")
            && text
                .split('|')
                .next()
                .expect("as the test set it up")
                .ends_with("-00"),
        "{text}"
    );
    // A sampled caller still wins.
    client
        .get("/hello")
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .await;
    tracing.shutdown().await.expect("flushed");
    let spans = collector.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(str_attr(&spans[0], "url.path"), Some("/hello"));
}

/// An app whose answers go through every settling step: an exception
/// handler, an error, a panic, background work; and a middleware outside
/// `tracing`, which sees the settled response.
fn settled_app(tracing: Option<Tracing>, tasks_run: Arc<Mutex<Vec<&'static str>>>) -> App {
    let app = App::new()
        .get("/hello", || async { "hello" })
        .get("/teapot", || async { HttpError::new(418, "I'm a teapot") })
        .get("/boom", || async {
            Err::<&str, _>(sluice::Error::msg("boom"))
        })
        .get("/panic", || async {
            if true {
                panic!("the handler panicked");
            }
            "never"
        })
        .get("/later", move |tasks: BackgroundTasks| {
            let tasks_run = tasks_run.clone();
            async move {
                tasks.add(async move { tasks_run.lock().expect("not poisoned").push("task") });
                "accepted"
            }
        })
        .exception_handler(|err: &HttpError| (err.status(), format!("handled: {}", err.detail())));
    let app = match tracing {
        Some(tracing) => app.add_middleware(tracing),
        None => app,
    };
    app.middleware(|req: Request, next: Next| async move {
        let mut response = next.run(req).await;
        let seen = response.status().as_str().to_owned();
        response
            .headers_mut()
            .insert("x-outer-saw", seen.parse().expect("digits"));
        response
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_is_not_sampled_is_answered_as_without_tracing() {
    let collector = Collector::start().await;
    let unsampled = Tracing::otlp(&collector.url)
        .sample_ratio(0.0)
        .build()
        .expect("valid");
    let (with, without) = (
        Arc::new(Mutex::new(Vec::new())),
        Arc::new(Mutex::new(Vec::new())),
    );
    let traced = TestClient::new(settled_app(Some(unsampled.clone()), with.clone()))
        .raise_server_exceptions(false);
    let plain = TestClient::new(settled_app(None, without.clone())).raise_server_exceptions(false);
    let caller_unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    for path in ["/hello", "/teapot", "/boom", "/panic", "/later", "/missing"] {
        for traceparent in [None, Some(caller_unsampled)] {
            let send = |client: &TestClient| {
                let request = client.get(path);
                match traceparent {
                    Some(value) => request.header("traceparent", value),
                    None => request,
                }
            };
            let (a, b) = (send(&traced).await, send(&plain).await);
            let case = format!("{path} with traceparent {traceparent:?}");
            assert_eq!(a.status(), b.status(), "{case}");
            assert_eq!(a.header("x-outer-saw"), b.header("x-outer-saw"), "{case}");
            assert_eq!(a.header("content-type"), b.header("content-type"), "{case}");
            assert_eq!(a.text(), b.text(), "{case}");
        }
    }
    assert_eq!(*with.lock().expect("not poisoned"), ["task", "task"]);
    assert_eq!(*without.lock().expect("not poisoned"), ["task", "task"]);
    unsampled.shutdown().await.expect("flushed");
    assert!(collector.spans().is_empty(), "{:#?}", collector.spans());
}

/// A sampler that panics on the paths it is told to.
#[derive(Debug, Clone)]
struct PanickingSampler;

impl opentelemetry_sdk::trace::ShouldSample for PanickingSampler {
    fn should_sample(
        &self,
        _parent: Option<&otel::Context>,
        _trace_id: opentelemetry::trace::TraceId,
        name: &str,
        _kind: &opentelemetry::trace::SpanKind,
        _attributes: &[opentelemetry::KeyValue],
        _links: &[opentelemetry::trace::Link],
    ) -> opentelemetry_sdk::trace::SamplingResult {
        if name == "DELETE" {
            panic!("the sampler panicked");
        }
        opentelemetry_sdk::trace::SamplingResult {
            decision: opentelemetry_sdk::trace::SamplingDecision::Drop,
            attributes: Vec::new(),
            trace_state: opentelemetry::trace::TraceState::default(),
        }
    }
}

#[tokio::test]
async fn a_sampler_that_panics_is_a_500_and_the_app_goes_on() {
    let provider = otel::SdkTracerProvider::builder()
        .with_sampler(PanickingSampler)
        .build();
    let app = App::new()
        .get("/hello", || async { "hello" })
        .delete("/hello", || async { "deleted" })
        .add_middleware(Tracing::new(provider));
    let client = TestClient::new(app).raise_server_exceptions(false);
    let res = client.delete("/hello").await;
    assert_eq!(res.status(), 500);
    assert_eq!(res.text(), r#"{"detail":"Internal Server Error"}"#);
    let res = client.get("/hello").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text(), "hello");
}

/// Sends one request over a real connection and reads the answer.
async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    raw_request(addr, &format!("GET {path} HTTP/1.1\r\nhost: test\r\n"))
        .await
        .1
}

/// Sends `head` (request line and headers, each ending in CRLF) on a
/// connection of its own: the local port it came from, and the answer.
async fn raw_request(addr: std::net::SocketAddr, head: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let port = stream.local_addr().expect("a local address").port();
    stream
        .write_all(format!("{head}connection: close\r\n\r\n").as_bytes())
        .await
        .expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    (port, answer)
}

fn int_attr(span: &Span, key: &str) -> Option<i64> {
    match attr(span, key) {
        Some(AnyValue::IntValue(n)) => Some(*n),
        _ => None,
    }
}

const RECOMMENDED: [&str; 7] = [
    "client.address",
    "network.peer.address",
    "network.peer.port",
    "server.address",
    "server.port",
    "network.protocol.version",
    "user_agent.original",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_carry_the_recommended_attributes_when_asked() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url)
        .build()
        .expect("valid")
        .recommended_attributes(true);
    // The default.
    let minimal = Tracing::otlp(&collector.url).build().expect("valid");
    let app = App::new()
        .get("/hello", || async { "hello" })
        .route(
            "/minimal",
            sluice::routing::get(|| async { "minimal" }).add_middleware(minimal.clone()),
        )
        .add_middleware(tracing.clone())
        // Outermost: the client behind the (trusted, local) proxy.
        .add_middleware(sluice::middleware::ProxyHeaders::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("a free port")
        .with_shutdown_signal(async {
            let _ = stopped.await;
        });
    let addr = server.local_addr();
    let serving = tokio::spawn(server.serve(app));
    let (direct, answer) = raw_request(
        addr,
        "GET /hello HTTP/1.1\r\nhost: Example.COM:8080\r\nuser-agent: probe/1.0\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (proxied, answer) = raw_request(
        addr,
        "GET /hello?via=proxy HTTP/1.0\r\nhost: [::1]\r\nx-forwarded-for: 203.0.113.7\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
    let (_, answer) = raw_request(addr, "GET /minimal HTTP/1.1\r\nhost: test\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tracing.shutdown().await.expect("flushed");
    minimal.shutdown().await.expect("flushed");
    let spans = collector.spans();
    let _ = stop.send(());
    serving.await.expect("joined").expect("served");

    let by_query = |query: Option<&str>| {
        spans
            .iter()
            .find(|s| {
                str_attr(s, "url.path") == Some("/hello") && str_attr(s, "url.query") == query
            })
            .unwrap_or_else(|| panic!("no span for /hello?{query:?} in {spans:#?}"))
    };
    // Straight from the client: the address twice, the host as sent
    // (lower-cased, as Starlette's `url.hostname`), its port.
    let span = by_query(None);
    assert_eq!(str_attr(span, "client.address"), Some("127.0.0.1"));
    assert_eq!(str_attr(span, "network.peer.address"), Some("127.0.0.1"));
    assert_eq!(int_attr(span, "network.peer.port"), Some(i64::from(direct)));
    assert_eq!(str_attr(span, "server.address"), Some("example.com"));
    assert_eq!(int_attr(span, "server.port"), Some(8080));
    assert_eq!(str_attr(span, "network.protocol.version"), Some("1.1"));
    assert_eq!(str_attr(span, "user_agent.original"), Some("probe/1.0"));
    // Through the proxy: the client it names, the proxy as the peer; a
    // host without a port is served on the socket's; no user agent, no
    // attribute.
    let span = by_query(Some("via=proxy"));
    assert_eq!(str_attr(span, "client.address"), Some("203.0.113.7"));
    assert_eq!(str_attr(span, "network.peer.address"), Some("127.0.0.1"));
    assert_eq!(
        int_attr(span, "network.peer.port"),
        Some(i64::from(proxied))
    );
    assert_eq!(str_attr(span, "server.address"), Some("::1"));
    assert_eq!(int_attr(span, "server.port"), Some(i64::from(addr.port())));
    assert_eq!(str_attr(span, "network.protocol.version"), Some("1.0"));
    assert_eq!(attr(span, "user_agent.original"), None);
    // By default: the required attributes only. (The app's own span for
    // the same request has them all.)
    let minimal_spans: Vec<&Span> = spans
        .iter()
        .filter(|s| str_attr(s, "url.path") == Some("/minimal"))
        .collect();
    assert_eq!(minimal_spans.len(), 2, "{spans:#?}");
    let without = minimal_spans
        .iter()
        .filter(|s| RECOMMENDED.iter().all(|key| attr(s, key).is_none()))
        .count();
    assert_eq!(without, 1, "{minimal_spans:#?}");
    for span in minimal_spans {
        for key in [
            "http.request.method",
            "url.path",
            "url.scheme",
            "http.route",
        ] {
            assert!(attr(span, key).is_some(), "{key} in {span:#?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_spans_are_flushed_on_graceful_shutdown() {
    let collector = Collector::start().await;
    // Nothing would be sent for a minute but for the shutdown.
    let tracing = Tracing::otlp(&collector.url)
        .batch_delay(Duration::from_secs(60))
        .build()
        .expect("valid");
    let flush = tracing.clone();
    let app = app(tracing).on_shutdown(move || async move {
        flush.shutdown().await.expect("flushed at shutdown");
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("a free port")
        .with_shutdown_signal(async {
            let _ = stopped.await;
        });
    let addr = server.local_addr();
    let serving = tokio::spawn(server.serve(app));
    for i in 0..3 {
        assert!(raw_get(addr, &format!("/items/{i}"))
            .await
            .starts_with("HTTP/1.1 200"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        collector.spans().is_empty(),
        "nothing sent before the shutdown"
    );
    let _ = stop.send(());
    serving.await.expect("joined").expect("served");
    // `serve` returned after the hook: everything is at the collector.
    assert_eq!(collector.spans().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_refuses_connections_never_slows_requests() {
    // A port that was free a moment ago: connections are refused.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let tracing = Tracing::otlp(&url)
        .batch_delay(Duration::from_millis(10))
        .export_timeout(Duration::from_secs(1))
        .build()
        .expect("valid");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    let started = Instant::now();
    for i in 0..200 {
        assert_eq!(client.get(&format!("/items/{i}")).await.status(), 200);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Shutting down does not hang on the refusals either.
    let started = Instant::now();
    let _ = tracing.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_does_not_answer_never_slows_requests() {
    // Accepts connections and reads, never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((mut stream, _)) = silent.accept().await {
            let mut buf = vec![0; 64 * 1024];
            let _ = stream.read(&mut buf).await;
            open.push(stream);
        }
    });
    let tracing = Tracing::otlp(&url)
        .batch_delay(Duration::from_millis(10))
        .export_timeout(Duration::from_secs(1))
        .build()
        .expect("valid");
    let client = TestClient::new(app(tracing.clone())).raise_server_exceptions(false);
    let started = Instant::now();
    for i in 0..200 {
        assert_eq!(client.get(&format!("/items/{i}")).await.status(), 200);
        if i % 50 == 0 {
            // Let exports start and hang meanwhile.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let _ = tracing.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    hold.abort();
}

#[tokio::test]
async fn settings_that_cannot_work_are_refused() {
    for (endpoint, ratio, expected) in [
        ("https://collector:4318", 1.0, "must be an http:// URL"),
        ("not a url", 1.0, "not a URL"),
        ("http://127.0.0.1:4318", 1.5, "sample ratio"),
    ] {
        let err = Tracing::otlp(endpoint)
            .sample_ratio(ratio)
            .build()
            .expect_err("refused");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn building_outside_a_runtime_is_refused_with_the_reason() {
    let err = Tracing::otlp("http://127.0.0.1:4318")
        .build()
        .expect_err("no runtime");
    assert!(err.to_string().contains("inside a tokio runtime"), "{err}");
}

#[tokio::test]
async fn the_body_of_a_request_is_unchanged() {
    let tracing = Tracing::new(otel::SdkTracerProvider::builder().build());
    let app = App::new()
        .post("/echo", |body: Bytes| async move { body })
        .add_middleware(tracing);
    let res = TestClient::new(app).post("/echo").body("payload").await;
    assert_eq!(res.text(), "payload");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_joins_the_server_span() {
    let collector = Collector::start().await;
    let tracing = Tracing::otlp(&collector.url).build().expect("valid");
    let app = App::new()
        .get("/hello", || async { "hello" })
        .add_middleware(sluice::middleware::RequestId::new())
        .add_middleware(tracing.clone());
    let res = TestClient::new(app)
        .get("/hello")
        .header("x-request-id", "abc-123")
        .await;
    assert_eq!(res.header("x-request-id"), Some("abc-123"));
    tracing.shutdown().await.expect("flushed");
    let spans = collector.spans();
    assert_eq!(spans.len(), 1);
    match attr(&spans[0], "http.response.header.x-request-id") {
        Some(AnyValue::ArrayValue(values)) => {
            let first = values.values.first().and_then(|v| v.value.as_ref());
            assert_eq!(first, Some(&AnyValue::StringValue("abc-123".to_owned())));
        }
        other => panic!("no request id attribute: {other:?}"),
    }
}
