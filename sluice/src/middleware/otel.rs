//! [`Tracing`]: one OpenTelemetry `SERVER` span per request, W3C trace
//! context in and out, and export over OTLP/HTTP.
//!
//! The span follows OpenTelemetry's
//! [HTTP server span conventions](https://opentelemetry.io/docs/specs/semconv/http/http-spans/):
//! it is named `GET /items/{item_id}` (the method and the route's
//! template; just `GET` when no route matched; `HTTP` for a method outside
//! the known set), and carries `http.request.method` (with
//! `http.request.method_original` for `_OTHER`), `http.route`,
//! `http.response.status_code`, `url.path`, `url.query` (when there is
//! one, the values of `sig`, `Signature`, `X-Goog-Signature` and
//! `AWSAccessKeyId` replaced by `REDACTED`), `url.scheme`, and `error.type`
//! with status `ERROR` for a 5xx (a 4xx leaves the status unset, as the
//! conventions require of server spans). With
//! [`Tracing::recommended_attributes`] it also carries the attributes the
//! conventions recommend: `client.address`,
//! `network.peer.address` and `network.peer.port`, `server.address` and
//! `server.port`, `network.protocol.version` and `user_agent.original`.
//! The route is learnt and named as
//! `Metrics` learns and names it (under the app's root path, and a mounted
//! app's route after the mount's path), with the same one exception: a
//! middleware further in that runs `next.run(req)` on a task of its own
//! hides it.
//!
//! ```
//! use sluice::middleware::{otel, Tracing};
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! async fn call_downstream() -> String {
//!     // Inside the request, the server span is the current OpenTelemetry
//!     // context: pass it on to the next service.
//!     let mut headers = sluice::http::HeaderMap::new();
//!     otel::inject(&mut headers);
//!     headers["traceparent"].to_str().unwrap().to_owned()
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let tracing = Tracing::new(otel::SdkTracerProvider::builder().build());
//! let app = App::new().get("/", call_downstream).add_middleware(tracing);
//!
//! let res = TestClient::new(app)
//!     .get("/")
//!     .header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
//!     .await;
//! // The same trace, a new span (ours), sampled.
//! let outgoing = res.text();
//! assert!(outgoing.starts_with("00-0af7651916cd43dd8448eb211c80319c-"));
//! assert!(!outgoing.contains("b7ad6b7169203331"));
//! assert!(outgoing.ends_with("-01"));
//! # }
//! ```
//!
//! # Trace context
//!
//! A request's [`traceparent`](https://www.w3.org/TR/trace-context/#traceparent-header)
//! header, when it is valid and appears once, makes the server span a child
//! of the caller's span, and its `tracestate` is kept. An invalid one (bad
//! syntax, upper-case hex, all-zero ids, version `ff`, version `00` with
//! extra fields, two `traceparent` headers) is ignored and the span starts
//! a new trace. A future version is read as far as version `00` goes. With
//! the default sampler, a span whose parent is sampled is sampled, and one
//! whose parent is not is not: the caller's decision stands.
//!
//! While a sampled request is handled, the server span is the current
//! OpenTelemetry [`Context`]: [`inject`] puts it into the headers of an
//! outgoing request, and anything that reads `Context::current()` (the
//! OpenTelemetry log bridge, `tracing-opentelemetry` for spans created
//! inside the handler) sees it.
//!
//! # Logs
//!
//! The rest of the stack runs inside a `tracing` span named `trace` (target
//! `sluice::request`, level `INFO`) with the fields `trace_id` and
//! `span_id`, so every event logged by inner middleware and the handler
//! carries the trace id. Add `Tracing` after [`RequestId`](super::RequestId)
//! and [`AccessLog`](super::AccessLog) (outside them) and their span and
//! events join it; `RequestId` also records its id on the server span as
//! `http.response.header.x-request-id`.
//!
//! # Export
//!
//! [`Tracing::otlp`] exports to an OpenTelemetry collector (or Jaeger,
//! Tempo, anything that speaks OTLP/HTTP) with protobuf bodies, `POST
//! <endpoint>/v1/traces`, in batches sent at least every second. Ended
//! spans wait in a bounded queue (2,048 spans; beyond that new spans are
//! dropped) and are sent by a thread of their own, so a collector that is
//! down, refuses connections or does not answer never slows or fails a
//! request. Call [`Tracing::shutdown`] (or register it with
//! [`App::on_shutdown`](crate::App::on_shutdown)) to send what is pending
//! before the process exits.
//!
//! # Why these crates
//!
//! `opentelemetry` and `opentelemetry_sdk` are the reference
//! implementation: sampling, W3C propagation and the batch processor come
//! from them. `opentelemetry-otlp` encodes OTLP; its requests go through
//! `opentelemetry-http`'s hyper client, run on the app's own tokio runtime,
//! so no second runtime, no second HTTP stack and no TLS library is pulled
//! in (an `https` collector needs a client of your own: build the provider
//! yourself and pass it to [`Tracing::new`]). The span is made with the SDK
//! directly rather than through `tracing-opentelemetry`: that costs a
//! fraction as much per request.
//!
//! # Requests that are not sampled
//!
//! A request that is not sampled gets no span object and no OpenTelemetry
//! [`Context`]: its trace context (the trace id, a new span id, the
//! sampled flag off) is kept with the task, and [`inject`] passes it on
//! from there, so the services it calls keep the decision. The
//! `traceparent` header is only written when [`inject`] is called. Code
//! that reads `Context::current()` itself sees no span in such a request.
//! With [`Tracing::otlp`] the sampler is known not to read the span's
//! attributes, so they are only made for a sampled span, and with a
//! sample ratio of 0 a request without a trace context does not go
//! through the SDK at all. A sampler of your own (through
//! [`Tracing::new`]) sees the attributes `http.request.method`,
//! `url.path` and `url.scheme` when it decides. In the stack, such a
//! request costs no middleware future either: the rest of the stack runs
//! with its trace context at hand, and the response goes out untouched.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{BoxFuture, Either};
use http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanContext, SpanKind, Status, TraceContextExt, TraceFlags, TraceState, Tracer as _,
    TracerProvider as _,
};
use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler, SdkTracer,
};
use tracing::instrument::Instrumented;
use tracing::Instrument;

pub use opentelemetry::Context;
pub use opentelemetry_sdk::trace::SdkTracerProvider;

use super::observe::{self, MethodLabel, SchemeLabel};
use crate::body::{Ending, OnEnd};
use crate::error::{ConfigError, Error};
use crate::middleware::{Middleware, Next};
use crate::stack::{
    forward_description, guard, panic_response, DynMiddleware, Node, StackEntry, StackItem,
};
use crate::url::{request_host, Port, RequestHost};
use crate::{Request, Response, RouteMatch};

/// The instrumentation scope of the spans.
const SCOPE: &str = "sluice";

/// The W3C headers, as names: looking them up needs no parsing.
static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
static TRACESTATE: http::HeaderName = http::HeaderName::from_static("tracestate");

/// Records one `SERVER` span per request; see the [module docs](self).
///
/// Cloning is cheap; clones share the provider, so a clone kept aside can
/// [`shutdown`](Tracing::shutdown) what the middleware records.
#[derive(Clone)]
#[must_use]
pub struct Tracing {
    inner: Arc<Inner>,
    /// Whether spans carry the conventions' recommended attributes.
    recommended: bool,
}

/// The sampler, as far as the middleware can tell.
#[derive(Clone, Copy)]
enum Sampling {
    /// A provider of the user's ([`Tracing::new`]): its sampler may read
    /// anything, so every span goes through it with its attributes.
    Provider,
    /// [`Tracing::otlp`]'s: the caller's sampled flag when there is a
    /// caller, else this share of new traces (by trace id); it reads no
    /// attribute.
    ParentBasedRatio(f64),
}

impl Sampling {
    /// Whether the sampler may look at a span's attributes; if not, they
    /// are only made for a span that is sampled.
    fn reads_attributes(self) -> bool {
        matches!(self, Sampling::Provider)
    }

    /// Whether a request whose caller did not sample its trace is dropped.
    fn follows_parent(self) -> bool {
        matches!(self, Sampling::ParentBasedRatio(_))
    }

    /// Whether a new trace is always dropped (ratio 0): then its span is
    /// not even built.
    fn never_samples_roots(self) -> bool {
        matches!(self, Sampling::ParentBasedRatio(ratio) if ratio == 0.0)
    }

    /// Whether a new trace is always sampled (ratio 1): then its
    /// attributes go in with the span, where they fit without growing its
    /// list.
    fn always_samples_roots(self) -> bool {
        matches!(self, Sampling::ParentBasedRatio(ratio) if ratio >= 1.0)
    }
}

struct Inner {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    propagator: TraceContextPropagator,
    shutdown_timeout: Duration,
    /// What the middleware knows of the sampler, to skip the SDK where
    /// the sampler's answer is certain.
    sampling: Sampling,
    /// Ids for the traces that are not built.
    ids: RandomIdGenerator,
}

impl fmt::Debug for Tracing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracing")
            .field("provider", &self.inner.provider)
            .finish_non_exhaustive()
    }
}

impl Tracing {
    /// Spans from `provider`: its sampler, processors and exporters decide
    /// what is kept and where it goes.
    pub fn new(provider: SdkTracerProvider) -> Self {
        let tracer = provider.tracer(SCOPE);
        Tracing {
            inner: Arc::new(Inner {
                provider,
                tracer,
                propagator: TraceContextPropagator::new(),
                shutdown_timeout: DEFAULT_EXPORT_TIMEOUT,
                sampling: Sampling::Provider,
                ids: RandomIdGenerator::default(),
            }),
            recommended: false,
        }
    }

    /// Whether server spans carry the attributes OpenTelemetry's HTTP
    /// server conventions recommend, on top of the required ones (off by
    /// default), as Starlette's OpenTelemetry middleware and
    /// OpenTelemetry's own instrumentations add them:
    ///
    /// - `client.address`: [`Request::client`], the client as
    ///   [`ProxyHeaders`](crate::middleware::ProxyHeaders) names it behind
    ///   a trusted proxy;
    /// - `network.peer.address` and `network.peer.port`: the socket's
    ///   peer (the proxy, behind one);
    /// - `server.address` and `server.port`: the host and port the
    ///   request was sent to (its `Host`), the port being the socket's
    ///   when `Host` names none, as Starlette's OpenTelemetry middleware
    ///   takes it;
    /// - `network.protocol.version`: `1.0`, `1.1`, `2` or `3`;
    /// - `user_agent.original`: the `User-Agent` header, when it is text.
    ///
    /// They are off by default because of what they cost: the seven
    /// values add about 15,000 instructions to each sampled request, where
    /// the span without them costs about 19,000, most of it in the OTLP
    /// exporter's conversion and encoding. A request that is not sampled
    /// pays nothing for them.
    ///
    /// ```
    /// use opentelemetry_sdk::trace::SdkTracerProvider;
    /// use sluice::middleware::Tracing;
    ///
    /// let tracing = Tracing::new(SdkTracerProvider::builder().build())
    ///     .recommended_attributes(true);
    /// # let _ = tracing;
    /// ```
    pub fn recommended_attributes(mut self, on: bool) -> Self {
        self.recommended = on;
        self
    }

    /// Exports over OTLP/HTTP (protobuf) to `endpoint`, the collector's
    /// base URL (e.g. `http://127.0.0.1:4318`; spans go to
    /// `<endpoint>/v1/traces`). Finish with [`OtlpBuilder::build`].
    pub fn otlp(endpoint: impl Into<String>) -> OtlpBuilder {
        OtlpBuilder {
            endpoint: endpoint.into(),
            service_name: None,
            sample_ratio: 1.0,
            batch_delay: DEFAULT_BATCH_DELAY,
            export_timeout: DEFAULT_EXPORT_TIMEOUT,
        }
    }

    /// The provider the spans come from.
    pub fn provider(&self) -> &SdkTracerProvider {
        &self.inner.provider
    }

    /// Sends the spans still pending and stops exporting; spans ended
    /// afterwards are dropped. Call it once the server has stopped, e.g.
    /// with [`App::on_shutdown`](crate::App::on_shutdown). It waits at most
    /// the export timeout, and never blocks the async runtime.
    ///
    /// # Errors
    ///
    /// When the spans could not be sent (the collector is down or did not
    /// answer in time), or the provider was already shut down.
    pub async fn shutdown(&self) -> Result<(), Error> {
        let provider = self.inner.provider.clone();
        let timeout = self.inner.shutdown_timeout;
        let stopped =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(timeout)).await;
        match stopped {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::new(e)),
            Err(e) => Err(Error::new(e)),
        }
    }

    /// The parent context a request's headers name, or an empty one.
    fn extract(&self, headers: &HeaderMap) -> Context {
        let mut values = headers.get_all(&TRACEPARENT).iter();
        let (Some(traceparent), None) = (values.next(), values.next()) else {
            return Context::new();
        };
        let Some(traceparent) = traceparent
            .to_str()
            .ok()
            .filter(|v| is_valid_traceparent(v))
        else {
            return Context::new();
        };
        let mut states = headers.get_all(&TRACESTATE).iter();
        let tracestate: Option<Cow<'_, str>> = match (states.next(), states.next()) {
            (None, _) => None,
            (Some(one), None) => one.to_str().ok().map(Cow::Borrowed),
            // Several headers form one list (RFC 9110, section 5.3).
            (Some(_), Some(_)) => {
                let parts: Option<Vec<&str>> = headers
                    .get_all(&TRACESTATE)
                    .iter()
                    .map(|v| v.to_str().ok())
                    .collect();
                parts.map(|parts| Cow::Owned(parts.join(",")))
            }
        };
        let carrier = Carrier {
            traceparent,
            tracestate: tracestate.as_deref(),
        };
        self.inner.propagator.extract(&carrier)
    }
}

/// How often pending spans are sent by default.
const DEFAULT_BATCH_DELAY: Duration = Duration::from_secs(1);
/// How long one export may take by default.
const DEFAULT_EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of an OTLP exporting [`Tracing`]; from [`Tracing::otlp`].
///
/// | setting | default | effect |
/// |---|---|---|
/// | [`service_name`](OtlpBuilder::service_name) | `OTEL_SERVICE_NAME`, or OpenTelemetry's `unknown_service` | the `service.name` resource attribute |
/// | [`sample_ratio`](OtlpBuilder::sample_ratio) | 1.0 | share of new traces recorded; a caller's decision (sampled flag) is kept |
/// | [`batch_delay`](OtlpBuilder::batch_delay) | 1 s | longest wait before pending spans are sent |
/// | [`export_timeout`](OtlpBuilder::export_timeout) | 5 s | longest wait for the collector, per batch and at shutdown |
#[derive(Debug, Clone)]
#[must_use]
pub struct OtlpBuilder {
    endpoint: String,
    service_name: Option<String>,
    sample_ratio: f64,
    batch_delay: Duration,
    export_timeout: Duration,
}

impl OtlpBuilder {
    /// The `service.name` the spans are reported under.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// The share of new traces to record, from 0.0 (none) to 1.0 (all).
    /// Requests that carry a `traceparent` follow its sampled flag instead.
    pub fn sample_ratio(mut self, ratio: f64) -> Self {
        self.sample_ratio = ratio;
        self
    }

    /// The longest time an ended span waits before it is sent (1 s by
    /// default; a full batch of 512 goes at once).
    pub fn batch_delay(mut self, delay: Duration) -> Self {
        self.batch_delay = delay;
        self
    }

    /// How long to wait for the collector to answer one export (5 s by
    /// default), and for the last export at shutdown.
    pub fn export_timeout(mut self, timeout: Duration) -> Self {
        self.export_timeout = timeout;
        self
    }

    /// Builds the exporter and the middleware. Call it inside the tokio
    /// runtime that serves the app: exports run on it.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when the endpoint is not an `http://` URL, the
    /// sample ratio is outside 0..=1, or there is no tokio runtime.
    pub fn build(self) -> Result<Tracing, ConfigError> {
        let invalid = |reason: String| ConfigError::middleware("Tracing", reason);
        if !(0.0..=1.0).contains(&self.sample_ratio) {
            return Err(invalid(format!(
                "the sample ratio must be from 0.0 to 1.0, not {}",
                self.sample_ratio
            )));
        }
        let endpoint = self.endpoint.trim_end_matches('/');
        let uri: http::Uri = endpoint
            .parse()
            .map_err(|e| invalid(format!("the OTLP endpoint {endpoint:?} is not a URL: {e}")))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(invalid(format!(
                "the OTLP endpoint {endpoint:?} must be an http:// URL (for https, build an SdkTracerProvider with a TLS-capable client and use Tracing::new)"
            )));
        }
        let handle = tokio::runtime::Handle::try_current().map_err(|_| {
            invalid("Tracing::otlp(..).build() must be called inside a tokio runtime".to_owned())
        })?;
        let client = RuntimeClient {
            inner: opentelemetry_http::hyper::HyperClient::with_default_connector(
                self.export_timeout,
                None,
            ),
            handle,
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_endpoint(format!("{endpoint}/v1/traces"))
            .with_timeout(self.export_timeout)
            .with_http_client(client)
            .build()
            .map_err(|e| invalid(format!("cannot build the OTLP exporter: {e}")))?;
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_scheduled_delay(self.batch_delay)
                    .build(),
            )
            .build();
        let mut resource = opentelemetry_sdk::Resource::builder();
        if let Some(name) = self.service_name {
            resource = resource.with_service_name(name);
        }
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
                self.sample_ratio,
            ))))
            .with_resource(resource.build())
            .build();
        let mut tracing = Tracing::new(provider);
        if let Some(inner) = Arc::get_mut(&mut tracing.inner) {
            inner.shutdown_timeout = self.export_timeout;
            inner.sampling = Sampling::ParentBasedRatio(self.sample_ratio);
        }
        Ok(tracing)
    }
}

/// `opentelemetry-http`'s hyper client, run on the app's runtime: the
/// batch processor exports from a thread of its own, outside any runtime.
#[derive(Debug, Clone)]
struct RuntimeClient {
    inner: opentelemetry_http::hyper::HyperClient,
    handle: tokio::runtime::Handle,
}

impl opentelemetry_http::HttpClient for RuntimeClient {
    fn send_bytes<'a, 'b>(
        &'a self,
        request: http::Request<Bytes>,
    ) -> Pin<
        Box<
            dyn Future<Output = Result<http::Response<Bytes>, opentelemetry_http::HttpError>>
                + Send
                + 'b,
        >,
    >
    where
        'a: 'b,
        Self: 'b,
    {
        let inner = self.inner.clone();
        let sent = self
            .handle
            .spawn(async move { inner.send_bytes(request).await });
        Box::pin(async move {
            match sent.await {
                Ok(result) => result,
                // The runtime is gone (the process is ending).
                Err(e) => Err(Box::new(e) as opentelemetry_http::HttpError),
            }
        })
    }
}

/// The two trace context headers, checked.
struct Carrier<'a> {
    traceparent: &'a str,
    tracestate: Option<&'a str>,
}

impl Extractor for Carrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => Some(self.traceparent),
            "tracestate" => self.tracestate,
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

/// W3C Trace Context, level 1, section 3.2 and 4.3 (versioning): two
/// lower-case hex digits of version (not `ff`), 32 of trace id, 16 of
/// parent id, 2 of flags, separated by `-`; ids not all zero. Version `00`
/// is exactly that; a later version may go on after a `-`.
fn is_valid_traceparent(value: &str) -> bool {
    let b = value.as_bytes();
    let hex = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
    };
    let zero =
        |range: std::ops::Range<usize>| b.get(range).is_some_and(|s| s.iter().all(|c| *c == b'0'));
    let dash = |at: usize| b.get(at) == Some(&b'-');
    if b.len() < 55 || !hex(0..2) || &b[0..2] == b"ff" {
        return false;
    }
    if !(dash(2) && hex(3..35) && dash(35) && hex(36..52) && dash(52) && hex(53..55)) {
        return false;
    }
    if zero(3..35) || zero(36..52) {
        return false;
    }
    if &b[0..2] == b"00" {
        b.len() == 55
    } else {
        b.len() == 55 || dash(55)
    }
}

/// Adds `traceparent` (and `tracestate`) naming the current span to the
/// headers of an outgoing request, so that the service it goes to
/// continues the trace. Inside a request handled under [`Tracing`], the
/// current span is the request's server span.
///
/// Works with any client built on `http` types: hyper's `Request`,
/// reqwest's `RequestBuilder::headers`, ...
///
/// ```
/// let mut headers = sluice::http::HeaderMap::new();
/// sluice::middleware::otel::inject(&mut headers);
/// // Outside any span there is nothing to propagate.
/// assert!(headers.get("traceparent").is_none());
/// ```
pub fn inject(headers: &mut HeaderMap) {
    let cx = Context::current();
    if !cx.has_active_span() {
        // A request that is not sampled has no context of its own; its
        // trace is passed on all the same (the header is only made here,
        // when it is asked for).
        if let Ok(span_context) = UNSAMPLED.try_with(SpanContext::clone) {
            let cx = cx.with_remote_span_context(span_context);
            inject_context(&cx, headers);
            return;
        }
    }
    inject_context(&cx, headers);
}

/// [`inject`] for a given context rather than the current one.
pub fn inject_context(cx: &Context, headers: &mut HeaderMap) {
    TraceContextPropagator::new()
        .inject_context(cx, &mut opentelemetry_http::HeaderInjector(headers));
}

/// How a request starts, as far as its trace goes.
enum Start {
    /// Not sampled: no span of ours to end. The trace still goes on with
    /// this context (sampled flag off), through [`inject`].
    Unsampled(SpanContext),
    /// Sampled: the context holds the server span.
    Sampled(Context, MethodLabel),
}

impl Tracing {
    /// Reads the request's trace context and asks the sampler, skipping the
    /// SDK where its answer is certain.
    fn start(&self, req: &Request) -> Start {
        let inner = &*self.inner;
        let parent = self.extract(req.headers());
        let sampling = inner.sampling;
        if sampling.never_samples_roots() && !parent.has_active_span() {
            // A new trace that the sampler is sure to drop: skip the SDK
            // and only make the ids the trace is passed on with.
            return Start::Unsampled(SpanContext::new(
                inner.ids.new_trace_id(),
                inner.ids.new_span_id(),
                TraceFlags::default(),
                false,
                TraceState::NONE,
            ));
        }
        if sampling.follows_parent() && parent.has_active_span() {
            let caller = parent.span().span_context().clone();
            if !caller.is_sampled() {
                // The caller did not sample its trace, so neither does the
                // parent-based sampler: what the SDK would make, without
                // it. The trace goes on, with a span id of ours.
                return Start::Unsampled(SpanContext::new(
                    caller.trace_id(),
                    inner.ids.new_span_id(),
                    TraceFlags::default(),
                    false,
                    caller.trace_state().clone(),
                ));
            }
        }
        // Only a span needs the labels.
        let method = MethodLabel::of(req.method());
        let scheme = SchemeLabel::of(req.scheme());
        let builder = inner
            .tracer
            .span_builder(span_method(method))
            .with_kind(SpanKind::Server);
        // The sampler sees the attributes only if it may read them;
        // otherwise they are made once the span is sampled, so a request
        // that is not sampled costs no allocation here.
        let early = sampling.reads_attributes()
            || (sampling.always_samples_roots() && !parent.has_active_span());
        let builder = if early {
            builder.with_attributes(start_attributes(req, method, scheme, self.recommended))
        } else {
            builder
        };
        let mut span = inner.tracer.build_with_context(builder, &parent);
        if !span.is_recording() {
            return Start::Unsampled(span.span_context().clone());
        }
        if !early {
            span.set_attributes(start_attributes(req, method, scheme, self.recommended));
        }
        Start::Sampled(parent.with_span(span), method)
    }

    /// The rest of the stack for a sampled request, under its span, which
    /// ends with the response (or with its body, for a stream).
    async fn sampled(
        &self,
        cx: Context,
        method: MethodLabel,
        req: Request,
        next: Next,
    ) -> crate::Result<Response> {
        let log_span = log_span(cx.span().span_context());
        let mut guard = Finish {
            cx,
            method,
            done: false,
        };
        let mut route = None;
        let run = opentelemetry::context::FutureExt::with_context(
            crate::hook::run_watching_route(req, next, &mut route),
            guard.cx.clone(),
        );
        let mut response = in_log_span(log_span, run).await;
        let status = response.status().as_u16();
        if observe::is_complete(response.body()) {
            guard.finish(status, route.as_ref());
        } else {
            guard.done = true;
            let ending = StreamedSpan {
                cx: guard.cx.clone(),
                route,
                method,
                status,
            };
            let body = std::mem::take(response.body_mut());
            *response.body_mut() = Ending::wrap(body, ending);
        }
        Ok(response)
    }
}

impl Middleware for Tracing {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        match self.start(&req) {
            Start::Unsampled(span_context) => Ok(unsampled(span_context, next.run(req)).await),
            Start::Sampled(cx, method) => self.sampled(cx, method, req, next).await,
        }
    }

    fn __into_stack(self) -> StackEntry {
        StackEntry(StackItem::Native(Arc::new(Layer(self))))
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("Tracing")
    }
}

/// [`Tracing`] as the stack runs it. A request that is not sampled (most,
/// in production) runs the rest of the stack with its trace context at
/// hand and no future of the middleware's own: there is nothing to do
/// with its response, which whoever called this layer settles, as for a
/// middleware that skips a request.
struct Layer(Tracing);

impl DynMiddleware for Layer {
    fn call<'a>(&'a self, req: Request, next: &'a Arc<Node>) -> BoxFuture<'a, Response> {
        let tracing = &self.0;
        // The sampler is the user's code too: a panic is this layer's 500,
        // as one in `handle` would be.
        match std::panic::catch_unwind(AssertUnwindSafe(|| tracing.start(&req))) {
            Ok(Start::Unsampled(span_context)) => Box::pin(unsampled(span_context, next.call(req))),
            Ok(Start::Sampled(cx, method)) => {
                guard(tracing, tracing.sampled(cx, method, req, Next::to(next)))
            }
            Err(payload) => {
                let name = Middleware::name(tracing);
                Box::pin(std::future::ready(panic_response(
                    &*payload,
                    "middleware",
                    &name,
                )))
            }
        }
    }

    forward_description!(0);
}

/// The attributes a server span starts with: the required ones, and the
/// recommended ones if wanted (see [`Tracing::recommended_attributes`]).
fn start_attributes(
    req: &Request,
    method: MethodLabel,
    scheme: SchemeLabel,
    recommended: bool,
) -> Vec<KeyValue> {
    // Room for the attributes the span gets when it ends, too.
    let mut attributes = Vec::with_capacity(if recommended { 15 } else { 7 });
    attributes.push(KeyValue::new("http.request.method", method.as_str()));
    if method.is_other() {
        attributes.push(KeyValue::new(
            "http.request.method_original",
            req.method().as_str().to_owned(),
        ));
    }
    attributes.push(KeyValue::new("url.path", req.path().to_owned()));
    if let Some(query) = req.query() {
        attributes.push(KeyValue::new("url.query", redacted_query(query)));
    }
    attributes.push(KeyValue::new("url.scheme", scheme.as_str()));
    if recommended {
        recommended_attributes(req, &mut attributes);
    }
    attributes
}

/// The conventions' recommended attributes of a server span, those the
/// request has (see [`Tracing::recommended_attributes`]).
fn recommended_attributes(req: &Request, attributes: &mut Vec<KeyValue>) {
    let connection = req.connection();
    let peer = connection
        .remote_addr
        .map(|peer| (peer, peer.ip().to_string()));
    if let Some(client) = req.client() {
        let address = match &peer {
            // Written once for both, without a proxy.
            Some((peer, text)) if client.ip() == Some(peer.ip()) => text.clone(),
            _ => client.host().into_owned(),
        };
        attributes.push(KeyValue::new("client.address", address));
    }
    if let Some((peer, text)) = peer {
        attributes.push(KeyValue::new("network.peer.address", text));
        attributes.push(KeyValue::new("network.peer.port", i64::from(peer.port())));
    }
    if let RequestHost::Valid(host) = request_host(req.headers(), req.uri().authority()) {
        let name = host.host.trim_start_matches('[').trim_end_matches(']');
        attributes.push(KeyValue::new("server.address", name.to_ascii_lowercase()));
        let port = match host.port {
            Port::Number(port) => Some(port),
            Port::Absent => connection.local_addr.map(|local| local.port()),
            Port::OutOfRange => None,
        };
        if let Some(port) = port {
            attributes.push(KeyValue::new("server.port", i64::from(port)));
        }
    }
    let version = match req.version() {
        http::Version::HTTP_09 => Some("0.9"),
        http::Version::HTTP_10 => Some("1.0"),
        http::Version::HTTP_11 => Some("1.1"),
        http::Version::HTTP_2 => Some("2"),
        http::Version::HTTP_3 => Some("3"),
        _ => None,
    };
    if let Some(version) = version {
        attributes.push(KeyValue::new("network.protocol.version", version));
    }
    if let Some(agent) = req.header(http::header::USER_AGENT) {
        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
    }
}

/// The query parameters whose values the conventions say to redact by
/// default: signatures and keys of signed URLs.
const SECRET_QUERY_KEYS: [&str; 4] = ["AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"];

/// `query` as `url.query` carries it: as sent, but for the values of
/// [`SECRET_QUERY_KEYS`], replaced by `REDACTED`.
fn redacted_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((key, _)) if SECRET_QUERY_KEYS.contains(&key) => {
                out.push_str(key);
                out.push_str("=REDACTED");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// `rest`, the rest of the stack for a request that is not sampled, with
/// its span context kept with the task, where [`inject`] reads it to pass
/// the trace on (sampled flag off).
fn unsampled<F: Future<Output = Response>>(
    span_context: SpanContext,
    rest: F,
) -> impl Future<Output = Response> {
    let log_span = log_span(&span_context);
    UNSAMPLED.scope(span_context, in_log_span(log_span, rest))
}

/// `future` in `span`, or `future` alone when nothing listens for the span
/// (no need to enter it at every poll then).
fn in_log_span<F: Future>(span: tracing::Span, future: F) -> Either<F, Instrumented<F>> {
    if span.is_disabled() {
        Either::Left(future)
    } else {
        Either::Right(future.instrument(span))
    }
}

/// The `tracing` span the rest of the stack runs in. Its fields are only
/// formatted when a subscriber enables it.
fn log_span(span_context: &SpanContext) -> tracing::Span {
    tracing::info_span!(
        target: "sluice::request",
        "trace",
        trace_id = %span_context.trace_id(),
        span_id = %span_context.span_id(),
    )
}

tokio::task_local! {
    /// The span context of a request that is not sampled, while its
    /// handler runs: what [`inject`] passes on when there is no current
    /// OpenTelemetry span.
    static UNSAMPLED: SpanContext;
}

/// The span name for a method: the method, or `HTTP` for `_OTHER`.
fn span_method(method: MethodLabel) -> &'static str {
    if method.is_other() {
        "HTTP"
    } else {
        method.as_str()
    }
}

/// Ends the server span with what the response says.
fn end_span(cx: &Context, route: Option<&Arc<RouteMatch>>, method: MethodLabel, status: u16) {
    let span = cx.span();
    let status_code = KeyValue::new("http.response.status_code", i64::from(status));
    if let Some(route) = route {
        span.update_name(span_name(method, route.http_route()));
        // The template is shared by every request to the route.
        let route = KeyValue::new(
            "http.route",
            Value::String(StringValue::from(route.http_route().clone())),
        );
        span.set_attributes([route, status_code]);
    } else {
        span.set_attribute(status_code);
    }
    if let Some(error_type) = observe::error_type(status) {
        span.set_attribute(KeyValue::new("error.type", error_type.to_string()));
        // No description: the status code says it all.
        span.set_status(Status::error(""));
    }
    span.end();
}

/// `<METHOD> <route>`, written into a string of the exact size (this runs
/// for every sampled request).
fn span_name(method: MethodLabel, template: &str) -> String {
    let method = span_method(method);
    let mut name = String::with_capacity(method.len() + 1 + template.len());
    name.push_str(method);
    name.push(' ');
    name.push_str(template);
    name
}

/// A request in flight under its span.
struct Finish {
    cx: Context,
    method: MethodLabel,
    done: bool,
}

impl Finish {
    fn finish(&mut self, status: u16, route: Option<&Arc<RouteMatch>>) {
        self.done = true;
        end_span(&self.cx, route, self.method, status);
    }
}

impl Drop for Finish {
    fn drop(&mut self) {
        if !self.done {
            // Cancelled before a response (the client went away, or a
            // timeout further out): end the span as such.
            let span = self.cx.span();
            span.set_attribute(KeyValue::new("error.type", "cancelled"));
            span.set_status(Status::error(""));
            span.end();
        }
    }
}

/// The same, for a response whose body is still to be streamed.
struct StreamedSpan {
    cx: Context,
    route: Option<Arc<RouteMatch>>,
    method: MethodLabel,
    status: u16,
}

impl OnEnd for StreamedSpan {
    fn end(self, _complete: bool) {
        end_span(&self.cx, self.route.as_ref(), self.method, self.status);
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::is_valid_traceparent;

    #[test]
    fn traceparent_syntax() {
        let ok = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert!(is_valid_traceparent(ok));
        assert!(is_valid_traceparent(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
        ));
        // Future versions: more may follow after a dash.
        assert!(is_valid_traceparent(
            "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-comes-next"
        ));
        assert!(is_valid_traceparent(
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09"
        ));
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0G",
            "0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01",
            "00-1-2-01",
            "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.extra",
            "+0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ] {
            assert!(!is_valid_traceparent(bad), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod sampler_tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::{Link, SpanKind, TraceId};
    use opentelemetry::{Context, KeyValue};
    use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult, ShouldSample};

    use super::{inject, SdkTracerProvider, Tracing};
    use crate::testing::TestClient;
    use crate::App;

    /// Drops every span, noting the `url.path` it was shown.
    #[derive(Debug, Clone, Default)]
    struct Noting(Arc<Mutex<Vec<String>>>);

    impl ShouldSample for Noting {
        fn should_sample(
            &self,
            _parent: Option<&Context>,
            _trace_id: TraceId,
            _name: &str,
            _kind: &SpanKind,
            attributes: &[KeyValue],
            _links: &[Link],
        ) -> SamplingResult {
            let path = attributes
                .iter()
                .find(|kv| kv.key.as_str() == "url.path")
                .map(|kv| kv.value.to_string())
                .unwrap_or_default();
            if let Ok(mut seen) = self.0.lock() {
                seen.push(path);
            }
            SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: Vec::new(),
                trace_state: Default::default(),
            }
        }
    }

    #[tokio::test]
    async fn a_sampler_of_the_users_decides_on_the_attributes() {
        let noting = Noting::default();
        let provider = SdkTracerProvider::builder()
            .with_sampler(noting.clone())
            .build();
        let app = App::new()
            .get("/health", || async {
                let mut headers = crate::HeaderMap::new();
                inject(&mut headers);
                headers
                    .get("traceparent")
                    .map(|v| v.to_str().unwrap_or("").to_owned())
                    .unwrap_or_default()
            })
            .add_middleware(Tracing::new(provider));
        let text = TestClient::new(app).get("/health").await.text();
        assert_eq!(
            noting.0.lock().map(|seen| seen.clone()).unwrap_or_default(),
            ["/health"]
        );
        // Dropped, and passed on as such.
        assert!(text.starts_with("00-") && text.ends_with("-00"), "{text}");
    }
}
