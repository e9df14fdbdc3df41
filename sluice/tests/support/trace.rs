//! A `tracing` layer that records events with their fields and the fields
//! of their spans.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// One recorded event.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub target: String,
    pub level: Level,
    pub fields: BTreeMap<String, String>,
    /// The fields of the spans the event was in, outermost first.
    pub spans: Vec<(String, BTreeMap<String, String>)>,
}

impl Recorded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn span_field(&self, span: &str, name: &str) -> Option<&str> {
        self.spans
            .iter()
            .find(|(n, _)| n == span)
            .and_then(|(_, fields)| fields.get(name))
            .map(String::as_str)
    }
}

/// The events recorded so far.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<Recorded>>>);

impl Events {
    pub fn all(&self) -> Vec<Recorded> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn with_target(&self, target: &str) -> Vec<Recorded> {
        self.all()
            .into_iter()
            .filter(|e| e.target == target)
            .collect()
    }
}

struct SpanFields(BTreeMap<String, String>);

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
}

struct Recorder {
    events: Events,
}

impl<S> Layer<S> for Recorder
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                let ext = span.extensions();
                let fields = ext
                    .get::<SpanFields>()
                    .map(|f| f.0.clone())
                    .unwrap_or_default();
                spans.push((span.name().to_owned(), fields));
            }
        }
        self.events
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Recorded {
                target: event.metadata().target().to_owned(),
                level: *event.metadata().level(),
                fields: fields.0,
                spans,
            });
    }
}

/// Keeps a second, idle dispatcher alive for the whole test process.
///
/// While only one dispatcher exists, tracing-core computes a new callsite's
/// interest from the registering thread's default alone. A test without a
/// recorder that reaches a callsite first would then cache it as "never"
/// for a recording test running beside it, whose events would be lost.
/// With two, it asks every live dispatcher.
fn keep_interest_shared() {
    static IDLE: OnceLock<tracing::Dispatch> = OnceLock::new();
    IDLE.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
}

/// Records every event at `max_level` or above while the guard lives (on
/// this thread: use a current-thread runtime).
pub fn record(max_level: Level) -> (Events, tracing::subscriber::DefaultGuard) {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::from_level(
            max_level,
        ))
        .with(Recorder {
            events: events.clone(),
        });
    keep_interest_shared();
    let guard = tracing::subscriber::set_default(subscriber);
    // Tests run in parallel, some with no subscriber: make sure no callsite
    // stays cached as "never enabled" from one of those.
    tracing::callsite::rebuild_interest_cache();
    (events, guard)
}

/// Like [`record`], and also writes what tracing-subscriber's `fmt` layer
/// would print, for checks on the text a log file would hold.
pub fn record_text(max_level: Level) -> (Text, tracing::subscriber::DefaultGuard) {
    let text = Text::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::from_level(
            max_level,
        ))
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(text.clone()),
        );
    keep_interest_shared();
    let guard = tracing::subscriber::set_default(subscriber);
    // Tests run in parallel, some with no subscriber: make sure no callsite
    // stays cached as "never enabled" from one of those.
    tracing::callsite::rebuild_interest_cache();
    (text, guard)
}

/// The text written by the `fmt` layer of [`record_text`].
#[derive(Clone, Default)]
pub struct Text(Arc<Mutex<Vec<u8>>>);

impl Text {
    pub fn get(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl std::io::Write for Text {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Text {
    type Writer = Text;
    fn make_writer(&'a self) -> Text {
        self.clone()
    }
}
