//! [`Metrics`]: OpenTelemetry's HTTP server metrics, served to Prometheus
//! in its text format or in OpenMetrics.
//!
//! The middleware records, for every request, the two stable metrics of
//! OpenTelemetry's [HTTP semantic conventions](https://opentelemetry.io/docs/specs/semconv/http/http-metrics/),
//! and answers `GET /metrics` (or the path you choose) itself, without
//! recording that request:
//!
//! | OpenTelemetry | Prometheus | type | labels |
//! |---|---|---|---|
//! | `http.server.request.duration` (s) | `http_server_request_duration_seconds` | histogram | `http_request_method`, `http_response_status_code`, `http_route`, `url_scheme`, `error_type` |
//! | `http.server.active_requests` (`{request}`) | `http_server_active_requests` | gauge | `http_request_method`, `url_scheme` |
//!
//! ```
//! use sluice::middleware::Metrics;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/items/{item_id}", || async { "an item" })
//!     .add_middleware(Metrics::new());
//! let client = TestClient::new(app);
//! client.get("/items/42").await;
//! client.get("/no/such/page").await;
//!
//! let res = client.get("/metrics").await;
//! assert_eq!(res.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
//! let text = res.text();
//! // The route's template, never the raw path:
//! assert!(text.contains(r#"http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/items/{item_id}",url_scheme="http"} 1"#));
//! // A request no route matched has no `http_route` label at all:
//! assert!(text.contains(r#"http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="404",url_scheme="http"} 1"#));
//! assert!(text.contains(r#"http_server_active_requests{http_request_method="GET",url_scheme="http"} 0"#));
//!
//! // Prometheus asks for OpenMetrics, and gets it:
//! let res = client.get("/metrics").header("accept", "application/openmetrics-text; version=1.0.0").await;
//! assert_eq!(res.header("content-type"), Some("application/openmetrics-text; version=1.0.0; charset=utf-8"));
//! assert!(res.text().ends_with("# EOF\n"));
//! # }
//! ```
//!
//! # What is recorded, exactly
//!
//! - The duration runs from the request's arrival at this middleware to the
//!   end of its response: when the response leaves the middleware for a
//!   body known in full (the usual case), or when the last byte of a
//!   streamed body has been handed to the server. A request is active for
//!   that same time. Add `Metrics` last, so that it is the outermost
//!   middleware and times everything.
//! - Buckets are OpenTelemetry's recommended boundaries for this metric:
//!   5 ms, 10 ms, 25 ms, 50 ms, 75 ms, 100 ms, 250 ms, 500 ms, 750 ms, 1 s,
//!   2.5 s, 5 s, 7.5 s and 10 s.
//! - `http_request_method` is one of `GET HEAD POST PUT DELETE CONNECT
//!   OPTIONS TRACE PATCH`, or `_OTHER` for any other method (methods are
//!   case-sensitive, so `get` is `_OTHER`).
//! - `http_route` is the template of the route that matched, e.g.
//!   `/items/{item_id}`. When no route matched (a 404, a 405, the trailing
//!   slash redirect, a middleware that answered first) the label is absent,
//!   so a flood of random paths adds no series. Under a
//!   [root path](crate::App::root_path) the label starts with it
//!   (`/api/v1/items/{item_id}`), as OpenTelemetry's conventions ask of
//!   `http.route`. A route of a mounted sluice app is labelled with the
//!   mount's path and the route's template (`/api/items/{item_id}`); a
//!   request to a mount that none of its routes matched, or to a mounted
//!   service that is not a sluice app, with the mount's path alone
//!   (`/static`). A `Metrics` inside the mounted app sees its own routes.
//!   The route is learnt without any per-request allocation, while the
//!   request runs inside this middleware's future: a middleware further in
//!   that moves `next.run(req)` onto a task of its own (`tokio::spawn`)
//!   hides it, and such requests are recorded without `http_route` (a
//!   tower layer that does so, added with `add_layer`, is allowed for).
//! - `url_scheme` is [`Request::scheme`](crate::Request::scheme), which
//!   `ProxyHeaders` sets from a trusted proxy; schemes other than `http`,
//!   `https`, `ws` and `wss` are recorded as `_OTHER`.
//! - `error_type` is the status code of a 5xx, and absent otherwise (a 4xx
//!   is the client's error, not the server's, as the conventions say).
//! - Names follow the OpenTelemetry-Prometheus compatibility rules: dots
//!   become underscores, the unit `s` becomes the suffix `_seconds`, the
//!   annotation `{request}` is dropped, and the up-down counter of active
//!   requests is a gauge.
//!
//! # Exposition
//!
//! `GET` (and `HEAD`) on the metrics path answers in the
//! [Prometheus text format 0.0.4](https://prometheus.io/docs/instrumenting/exposition_formats/)
//! (`text/plain; version=0.0.4; charset=utf-8`), or in
//! [OpenMetrics 1.0.0](https://prometheus.io/docs/specs/om/open_metrics_spec/)
//! (`application/openmetrics-text; version=1.0.0; charset=utf-8`, with its
//! `# UNIT` lines and the closing `# EOF`) when the `Accept` header prefers
//! it, as Prometheus' scraper does. Other methods get a 405. To serve the
//! metrics elsewhere (another port, behind authentication), use
//! [`Metrics::render`].
//!
//! # Cost
//!
//! Recording takes no lock: each thread keeps its own map from a
//! request's labels (the route by its template, which every request to
//! the route shares, the method, scheme and status as small numbers) to
//! the series' histogram, so labels are neither allocated nor formatted
//! per request, and the registry's lock is taken once per series and
//! thread. Each thread also records into cells of its own: a series'
//! histogram is, per thread that recorded it, an atomic counter per bucket
//! and an atomic sum, and the active-requests gauge an atomic per thread,
//! summed when scraped. So requests on many threads to one route neither
//! wait for each other nor pass the same cache line from core to core. The
//! text is only formatted when the metrics are scraped, by
//! `prometheus-client`'s encoder.
//!
//! # Why `prometheus-client`
//!
//! It is the Prometheus project's own Rust client, encodes OpenMetrics
//! natively (the format Prometheus asks for), and is small (no runtime, no
//! protobuf). The OpenTelemetry SDK with its Prometheus exporter would add
//! an aggregation pipeline per scrape and a second metrics client
//! (`prometheus`) underneath, for the same text. The Prometheus text
//! format 0.0.4 is the OpenMetrics text without the `# UNIT` lines and
//! `# EOF`, for the histogram and gauge families recorded here.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use futures_util::future::BoxFuture;
use http::header::{HeaderMap, HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE};
use http::{Method, StatusCode};
use prometheus_client::encoding::{
    EncodeLabel, EncodeLabelSet, EncodeMetric, LabelSetEncoder, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::{Registry, Unit};
use thread_local::ThreadLocal;

use super::observe::{self, MethodLabel, SchemeLabel};
use crate::body::{Ending, OnEnd};
use crate::error::{ConfigError, HttpError};
use crate::hook::{self, Before, Hook};
use crate::middleware::{Middleware, Next};
use crate::stack::StackEntry;
use crate::{Body, IntoResponse, Request, Response, RouteMatch};

/// OpenTelemetry's recommended bucket boundaries for
/// `http.server.request.duration`, in seconds.
pub const DURATION_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Where [`Metrics`] answers by default.
pub const DEFAULT_METRICS_PATH: &str = "/metrics";

/// Records OpenTelemetry's HTTP server metrics and serves them to
/// Prometheus; see the [module docs](self).
///
/// | setting | default | effect |
/// |---|---|---|
/// | [`path`](Metrics::path) | `/metrics` | where the metrics are served (`GET`, `HEAD`); requests to it are not recorded |
///
/// Cloning is cheap and clones share the same metrics, so a clone can
/// [`render`](Metrics::render) what the middleware records.
#[derive(Clone)]
#[must_use]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    path: String,
    invalid: Option<String>,
    registry: Registry,
    duration: Family<RequestLabels, DurationHistogram, fn() -> DurationHistogram>,
    active: Family<ActiveLabels, ActiveGauge>,
    /// What each thread records into.
    threads: ThreadLocal<ThreadCells>,
}

/// One thread's part of the metrics.
struct ThreadCells {
    /// The thread's map from a request's labels to its series.
    series: RefCell<SeriesMap>,
    /// The thread's share of the active-requests gauge, per method and
    /// scheme, made on first use.
    active: [[OnceLock<Arc<AtomicI64>>; SchemeLabel::COUNT]; MethodLabel::COUNT],
}

impl ThreadCells {
    fn new() -> Self {
        ThreadCells {
            series: RefCell::new(SeriesMap::default()),
            active: std::array::from_fn(|_| std::array::from_fn(|_| OnceLock::new())),
        }
    }
}

type SeriesMap = HashMap<SeriesKey, Series, foldhash::fast::FixedState>;

/// A request's labels, as a small key: the route by the address of its
/// template (kept alive by `Series::_route`, so the address cannot be
/// reused for another template).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct SeriesKey {
    route: usize,
    method: MethodLabel,
    scheme: SchemeLabel,
    status: u16,
}

struct Series {
    /// This thread's cells of the series' histogram.
    histogram: Arc<HistogramCells>,
    /// Pins the template whose address is in the key.
    _route: Option<Arc<RouteMatch>>,
}

fn new_duration_histogram() -> DurationHistogram {
    DurationHistogram::default()
}

/// The cells of a metric, one per thread that recorded into it, summed
/// when the metric is written. The lock is taken when a thread first
/// records into the metric and when it is scraped, never per request.
#[derive(Debug)]
struct Shards<T> {
    cells: Mutex<Vec<Arc<T>>>,
}

impl<T> Default for Shards<T> {
    fn default() -> Self {
        Shards {
            cells: Mutex::new(Vec::new()),
        }
    }
}

impl<T: Default> Shards<T> {
    /// New cells, for a thread to record into.
    fn add(&self) -> Arc<T> {
        let cells = Arc::new(T::default());
        self.lock().push(cells.clone());
        cells
    }

    /// The cells first made, or new ones.
    fn any(&self) -> Arc<T> {
        let first = self.lock().first().cloned();
        first.unwrap_or_else(|| self.add())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<T>>> {
        // A panic while pushing leaves a list that is still whole.
        self.cells.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One series of `http.server.request.duration`: per thread, a counter per
/// bucket and the sum, each an atomic, so recording takes no lock at all
/// (the `Histogram` of `prometheus-client` guards each series with a
/// mutex, which under one busy route is a lock every request takes). It
/// is written out by `prometheus-client`'s own histogram encoder.
#[derive(Clone, Default, Debug)]
struct DurationHistogram {
    shards: Arc<Shards<HistogramCells>>,
}

/// One thread's share of a histogram (any thread may add to it; only one
/// does, unless recording were re-entered).
#[derive(Default, Debug)]
struct HistogramCells {
    /// Observations per bucket (not cumulative); the last is `+Inf`.
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    /// The sum of the observations, as the bits of an `f64`.
    sum: AtomicU64,
}

impl HistogramCells {
    fn observe(&self, seconds: f64) {
        // The first bucket whose upper bound is at least the value; NaN
        // (never a duration) would land in the first.
        let index = DURATION_BUCKETS.partition_point(|bound| *bound < seconds);
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        let mut current = self.sum.load(Ordering::Relaxed);
        loop {
            let sum = (f64::from_bits(current) + seconds).to_bits();
            match self
                .sum
                .compare_exchange_weak(current, sum, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(now) => current = now,
            }
        }
    }
}

impl TypedMetric for DurationHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for DurationHistogram {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), fmt::Error> {
        let mut buckets = [(f64::INFINITY, 0_u64); DURATION_BUCKETS.len() + 1];
        for (bound, upper) in buckets.iter_mut().zip(DURATION_BUCKETS) {
            bound.0 = upper;
        }
        let mut sum = 0.0;
        for cells in self.shards.lock().iter() {
            for ((_, observed), cell) in buckets.iter_mut().zip(&cells.buckets) {
                *observed += cell.load(Ordering::Relaxed);
            }
            sum += f64::from_bits(cells.sum.load(Ordering::Relaxed));
        }
        // The count is the buckets' total, so that `_count` and the `+Inf`
        // bucket always agree, even while requests are being recorded.
        let count = buckets.iter().map(|(_, observed)| observed).sum();
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

/// One series of `http.server.active_requests`: an up-down count per
/// thread that started requests. A request that ends on another thread
/// takes itself off the count it was added to, so only the total means
/// anything.
#[derive(Clone, Default, Debug)]
struct ActiveGauge {
    shards: Arc<Shards<AtomicI64>>,
}

impl TypedMetric for ActiveGauge {
    const TYPE: MetricType = MetricType::Gauge;
}

impl EncodeMetric for ActiveGauge {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), fmt::Error> {
        let total: i64 = self
            .shards
            .lock()
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .sum();
        encoder.encode_gauge(&total)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Records every request and serves the metrics at `/metrics`.
    pub fn new() -> Self {
        Metrics::build(DEFAULT_METRICS_PATH.to_owned(), None)
    }

    fn build(path: String, invalid: Option<String>) -> Self {
        let duration: Family<RequestLabels, DurationHistogram, fn() -> DurationHistogram> =
            Family::new_with_constructor(new_duration_histogram);
        let active: Family<ActiveLabels, ActiveGauge> = Family::default();
        let mut registry = Registry::default();
        registry.register_with_unit(
            "http_server_request_duration",
            // prometheus-client ends the help text with a period itself.
            "Duration of HTTP server requests",
            Unit::Seconds,
            duration.clone(),
        );
        registry.register(
            "http_server_active_requests",
            "Number of active HTTP server requests",
            active.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                path,
                invalid,
                registry,
                duration,
                active,
                threads: ThreadLocal::new(),
            }),
        }
    }

    /// Serves the metrics at `path` (which must start with `/`) instead of
    /// `/metrics`. Requests to it are answered here and not recorded.
    /// Like a route, it is served under the app's
    /// [root path](crate::App::root_path) too (`/api/v1/metrics`).
    ///
    /// Set it before cloning: it starts a new, empty set of metrics.
    pub fn path(self, path: &str) -> Self {
        let invalid = (!path.starts_with('/'))
            .then(|| format!("the metrics path {path:?} must start with '/'"));
        Metrics::build(path.to_owned(), invalid)
    }

    /// The metrics as text in `format`, as the metrics path serves them.
    ///
    /// ```
    /// use sluice::middleware::metrics::{ExpositionFormat, Metrics};
    ///
    /// let metrics = Metrics::new();
    /// // Nothing recorded yet: no family is written.
    /// assert_eq!(metrics.render(ExpositionFormat::Prometheus), "");
    /// assert_eq!(metrics.render(ExpositionFormat::OpenMetrics), "# EOF\n");
    /// ```
    pub fn render(&self, format: ExpositionFormat) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail, and neither can our label sets.
        let _ = prometheus_client::encoding::text::encode_registry(&mut text, &self.inner.registry);
        match format {
            ExpositionFormat::OpenMetrics => {
                let _ = prometheus_client::encoding::text::encode_eof(&mut text);
                text
            }
            ExpositionFormat::Prometheus => {
                // Text 0.0.4 has no UNIT metadata; everything else written
                // for histograms and gauges is the same in both formats.
                let mut out = String::with_capacity(text.len());
                for line in text.split_inclusive('\n') {
                    if !line.starts_with("# UNIT ") {
                        out.push_str(line);
                    }
                }
                out
            }
        }
    }

    fn expose(&self, req: &Request) -> Response {
        let method = req.method();
        if method != Method::GET && method != Method::HEAD {
            let mut response = HttpError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
                .into_response();
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return response;
        }
        let format = ExpositionFormat::negotiate(req.headers());
        let mut response = Response::new(Body::from(self.render(format)));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        );
        response
    }
}

impl Inner {
    /// This thread's count of active requests with the method and scheme.
    fn active_count(&self, method: MethodLabel, scheme: SchemeLabel) -> &Arc<AtomicI64> {
        let cells = self.threads.get_or(ThreadCells::new);
        cells.active[method.index()][scheme.index()].get_or_init(|| {
            self.active
                .get_or_create(&ActiveLabels { method, scheme })
                .shards
                .add()
        })
    }

    fn record(
        &self,
        method: MethodLabel,
        scheme: SchemeLabel,
        status: u16,
        route: Option<&Arc<RouteMatch>>,
        seconds: f64,
    ) {
        let key = SeriesKey {
            route: route.map_or(0, |r| r.http_route().as_ptr() as usize),
            method,
            scheme,
            status,
        };
        let labels = || RequestLabels {
            method,
            scheme,
            status,
            route: route.map(|r| r.http_route().clone()),
        };
        let cells = self.threads.get_or(ThreadCells::new);
        match cells.series.try_borrow_mut() {
            Ok(mut map) => map
                .entry(key)
                .or_insert_with(|| Series {
                    histogram: self.duration.get_or_create(&labels()).shards.add(),
                    _route: route.cloned(),
                })
                .histogram
                .observe(seconds),
            // Only reachable if recording were re-entered on this thread;
            // take the registry's way then.
            Err(_) => self
                .duration
                .get_or_create(&labels())
                .shards
                .any()
                .observe(seconds),
        }
    }
}

impl Hook for Metrics {
    type State<'a> = Pending<'a>;
    const WATCHES_ROUTE: bool = true;

    fn before(&self, req: &mut Request) -> Before<Pending<'_>> {
        let inner = &self.inner;
        // Served as a route would be: also under the app's root path.
        if req.path() == inner.path || req.path_after_root() == Some(&*inner.path) {
            return Before::Answer(self.expose(req));
        }
        let method = MethodLabel::of(req.method());
        let scheme = SchemeLabel::of(req.scheme());
        let active = inner.active_count(method, scheme);
        active.fetch_add(1, Ordering::Relaxed);
        Before::Pass(Pending {
            inner,
            active,
            method,
            scheme,
            start: Instant::now(),
            done: false,
        })
    }

    fn after<'a>(
        &'a self,
        mut pending: Pending<'a>,
        response: &mut Response,
        route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'a, Response>> {
        let status = response.status().as_u16();
        if observe::is_complete(response.body()) {
            pending.finish(status, route.as_ref());
        } else {
            // Streamed: the request ends with its body.
            pending.done = true;
            let ending = Streamed {
                inner: self.inner.clone(),
                active: pending.active.clone(),
                route,
                method: pending.method,
                scheme: pending.scheme,
                status,
                start: pending.start,
            };
            let body = std::mem::take(response.body_mut());
            *response.body_mut() = Ending::wrap(body, ending);
        }
        None
    }
}

impl Middleware for Metrics {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry_alone(self)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("Metrics")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        match &self.inner.invalid {
            Some(reason) => Err(ConfigError::middleware("Metrics", reason.clone())),
            None => Ok(()),
        }
    }
}

/// A request in flight: records it when finished, and leaves the active
/// gauge in any case (also when the request is cancelled).
pub(crate) struct Pending<'a> {
    inner: &'a Inner,
    active: &'a Arc<AtomicI64>,
    method: MethodLabel,
    scheme: SchemeLabel,
    start: Instant,
    done: bool,
}

impl Pending<'_> {
    fn finish(&mut self, status: u16, route: Option<&Arc<RouteMatch>>) {
        let seconds = self.start.elapsed().as_secs_f64();
        self.inner
            .record(self.method, self.scheme, status, route, seconds);
        self.done = true;
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Cancelled before a response: no duration to record.
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// The same, for a response whose body is still to be streamed.
struct Streamed {
    inner: Arc<Inner>,
    active: Arc<AtomicI64>,
    route: Option<Arc<RouteMatch>>,
    method: MethodLabel,
    scheme: SchemeLabel,
    status: u16,
    start: Instant,
}

impl OnEnd for Streamed {
    fn end(self, _complete: bool) {
        let seconds = self.start.elapsed().as_secs_f64();
        self.inner.record(
            self.method,
            self.scheme,
            self.status,
            self.route.as_ref(),
            seconds,
        );
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The formats the metrics path speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpositionFormat {
    /// The Prometheus text format, version 0.0.4: the default.
    Prometheus,
    /// OpenMetrics 1.0.0 text, with `# UNIT` lines and the closing `# EOF`.
    OpenMetrics,
}

impl ExpositionFormat {
    /// The `content-type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ExpositionFormat::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            ExpositionFormat::OpenMetrics => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }
    }

    /// The format the request's `Accept` header prefers: OpenMetrics when
    /// it accepts `application/openmetrics-text` (version 1.0.0, or none
    /// given) with a higher quality than any `text/plain` (version 0.0.4 or
    /// none), `text/*` or `*/*`; the Prometheus text format otherwise,
    /// including when there is no `Accept` header or nothing in it fits.
    ///
    /// ```
    /// use sluice::http::{HeaderMap, HeaderValue};
    /// use sluice::middleware::metrics::ExpositionFormat;
    ///
    /// let mut headers = HeaderMap::new();
    /// assert_eq!(ExpositionFormat::negotiate(&headers), ExpositionFormat::Prometheus);
    /// // What Prometheus 2.x sends:
    /// headers.insert("accept", HeaderValue::from_static(
    ///     "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    /// ));
    /// assert_eq!(ExpositionFormat::negotiate(&headers), ExpositionFormat::OpenMetrics);
    /// ```
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let mut best: Option<(f32, ExpositionFormat)> = None;
        for value in headers.get_all(ACCEPT) {
            let Ok(value) = value.to_str() else {
                continue;
            };
            for range in value.split(',') {
                let Some((quality, format)) = media_range(range) else {
                    continue;
                };
                if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                    best = Some((quality, format));
                }
            }
        }
        best.map_or(ExpositionFormat::Prometheus, |(_, format)| format)
    }
}

/// One media range of an `Accept` header: its quality and the format it
/// asks for, or `None` when it names nothing this endpoint serves.
fn media_range(range: &str) -> Option<(f32, ExpositionFormat)> {
    let mut parts = range.split(';');
    let media = parts.next()?.trim();
    let mut quality = 1.0_f32;
    let mut version = None;
    for param in parts {
        let (name, value) = param.split_once('=')?;
        let value = value.trim().trim_matches('"');
        match name.trim() {
            n if n.eq_ignore_ascii_case("q") => quality = value.parse().ok()?,
            n if n.eq_ignore_ascii_case("version") => version = Some(value),
            _ => {}
        }
    }
    if !(0.0..=1.0).contains(&quality) {
        return None;
    }
    let format = if media.eq_ignore_ascii_case("application/openmetrics-text") {
        (version.is_none_or(|v| v == "1.0.0")).then_some(ExpositionFormat::OpenMetrics)?
    } else if media.eq_ignore_ascii_case("text/plain") {
        (version.is_none_or(|v| v == "0.0.4")).then_some(ExpositionFormat::Prometheus)?
    } else if media == "*/*" || media.eq_ignore_ascii_case("text/*") {
        ExpositionFormat::Prometheus
    } else {
        return None;
    };
    Some((quality, format))
}

/// The labels of `http_server_request_duration_seconds`, in the order the
/// OpenTelemetry exporters write them (sorted by name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct RequestLabels {
    method: MethodLabel,
    scheme: SchemeLabel,
    status: u16,
    route: Option<Arc<str>>,
}

impl EncodeLabelSet for RequestLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), fmt::Error> {
        if let Some(error_type) = observe::error_type(self.status) {
            ("error_type", error_type).encode(encoder.encode_label())?;
        }
        ("http_request_method", self.method.as_str()).encode(encoder.encode_label())?;
        ("http_response_status_code", self.status).encode(encoder.encode_label())?;
        if let Some(route) = &self.route {
            ("http_route", &**route).encode(encoder.encode_label())?;
        }
        ("url_scheme", self.scheme.as_str()).encode(encoder.encode_label())
    }
}

/// The labels of `http_server_active_requests`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ActiveLabels {
    method: MethodLabel,
    scheme: SchemeLabel,
}

impl EncodeLabelSet for ActiveLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> Result<(), fmt::Error> {
        ("http_request_method", self.method.as_str()).encode(encoder.encode_label())?;
        ("url_scheme", self.scheme.as_str()).encode(encoder.encode_label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(histogram: &DurationHistogram) -> String {
        let mut registry = Registry::default();
        let shared = histogram.clone();
        let family =
            Family::<ActiveLabels, DurationHistogram, _>::new_with_constructor(move || {
                shared.clone()
            });
        registry.register_with_unit("d", "D", Unit::Seconds, family.clone());
        drop(family.get_or_create(&ActiveLabels {
            method: MethodLabel::of(&Method::GET),
            scheme: SchemeLabel::of("http"),
        }));
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &registry)
            .expect("writes to a string");
        text
    }

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let histogram = DurationHistogram::default();
        let cells = histogram.shards.add();
        // A bound is inclusive (`le`): 5 ms is in the first bucket.
        for seconds in [0.001, 0.005, 0.0051, 0.3, 10.0, 11.0] {
            cells.observe(seconds);
        }
        let text = text_of(&histogram);
        let labels = r#"http_request_method="GET",url_scheme="http""#;
        for (le, cumulative) in [
            ("0.005", 2),
            ("0.01", 3),
            ("0.25", 3),
            ("0.5", 4),
            ("7.5", 4),
            ("10.0", 5),
            ("+Inf", 6),
        ] {
            let line = format!("d_seconds_bucket{{le=\"{le}\",{labels}}} {cumulative}\n");
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(
            text.contains(&format!("d_seconds_count{{{labels}}} 6\n")),
            "{text}"
        );
        let sum: f64 = text
            .lines()
            .find_map(|line| line.strip_prefix(&format!("d_seconds_sum{{{labels}}} ")))
            .and_then(|value| value.parse().ok())
            .expect("a sum");
        assert!((sum - 21.3111).abs() < 1e-9, "{text}");
    }

    #[test]
    fn threads_recording_at_once_lose_nothing() {
        let histogram = DurationHistogram::default();
        let shared = histogram.shards.any();
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let (histogram, shared) = (&histogram, &shared);
                scope.spawn(move || {
                    // Two threads with cells of their own, and two sharing
                    // cells, as recording re-entered on a thread would.
                    let cells = if thread < 2 {
                        histogram.shards.add()
                    } else {
                        shared.clone()
                    };
                    for _ in 0..10_000 {
                        // Exact in binary, so the sum is exact too.
                        cells.observe(0.25);
                    }
                });
            }
        });
        assert_eq!(histogram.shards.lock().len(), 3);
        let text = text_of(&histogram);
        let labels = r#"http_request_method="GET",url_scheme="http""#;
        assert!(
            text.contains(&format!("d_seconds_count{{{labels}}} 40000\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!("d_seconds_sum{{{labels}}} 10000.0\n")),
            "{text}"
        );
        assert!(text.contains(&format!("d_seconds_bucket{{le=\"0.1\",{labels}}} 0\n")));
        assert!(text.contains(&format!("d_seconds_bucket{{le=\"0.25\",{labels}}} 40000\n")));
    }

    #[test]
    fn the_active_gauge_is_the_total_over_threads() {
        let gauge = ActiveGauge::default();
        let (first, second) = (gauge.shards.add(), gauge.shards.add());
        first.fetch_add(3, Ordering::Relaxed);
        // Requests started on the first thread and ended on the second.
        second.fetch_sub(2, Ordering::Relaxed);
        let mut registry = Registry::default();
        registry.register("active", "Active", gauge);
        let mut text = String::new();
        prometheus_client::encoding::text::encode_registry(&mut text, &registry)
            .expect("writes to a string");
        assert!(text.contains("\nactive 1\n"), "{text}");
    }

    fn accept(value: &'static str) -> ExpositionFormat {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(value));
        ExpositionFormat::negotiate(&headers)
    }

    #[test]
    fn accept_negotiation() {
        use ExpositionFormat::{OpenMetrics, Prometheus};
        assert_eq!(accept("application/openmetrics-text"), OpenMetrics);
        assert_eq!(
            accept("application/openmetrics-text; version=1.0.0"),
            OpenMetrics
        );
        assert_eq!(
            accept("Application/OpenMetrics-Text;Version=\"1.0.0\""),
            OpenMetrics
        );
        // A version this endpoint does not write falls back to text.
        assert_eq!(
            accept("application/openmetrics-text; version=0.0.1"),
            Prometheus
        );
        assert_eq!(accept("application/openmetrics-text;q=0"), Prometheus);
        assert_eq!(accept("text/plain"), Prometheus);
        assert_eq!(accept("*/*"), Prometheus);
        assert_eq!(accept("application/json"), Prometheus);
        assert_eq!(
            accept("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;q=0.9"),
            OpenMetrics
        );
        assert_eq!(
            accept("application/openmetrics-text;q=0.3,text/plain;version=0.0.4;q=0.5"),
            Prometheus
        );
        assert_eq!(accept("application/openmetrics-text;q=2"), Prometheus);
        assert_eq!(accept("application/openmetrics-text;q=abc"), Prometheus);
    }
}
