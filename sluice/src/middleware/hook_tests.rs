//! The stack's cheaper form of the built-ins ([`crate::hook`]), checked
//! with a probe hook against what a `Middleware` layer does: the order of
//! events, settling, answers, panics, waiting, and `handle` called
//! directly.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use http::{HeaderValue, StatusCode};

use crate::hook::{self, Before, Hook, Slot, Stash};
use crate::middleware::{Middleware, Next};
use crate::request::{Request, RouteMatch};
use crate::response::{IntoResponse, Response};
use crate::stack::StackEntry;
use crate::testing::TestClient;
use crate::{App, HttpError};

type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, event: impl Into<String>) {
    log.lock().expect("not poisoned").push(event.into());
}

fn events(log: &Log) -> Vec<String> {
    log.lock().expect("not poisoned").clone()
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Pass,
    AnswerForbidden,
    Wait,
    PanicBefore,
    PanicAfter,
    AfterFuture,
    /// `after` returns a future that panics.
    PanicInAfterFuture,
}

const MODES: [Mode; 7] = [
    Mode::Pass,
    Mode::AnswerForbidden,
    Mode::Wait,
    Mode::PanicBefore,
    Mode::PanicAfter,
    Mode::AfterFuture,
    Mode::PanicInAfterFuture,
];

/// Logs `<tag> before` and `<tag> after <status>`, and tags the response
/// with `x-probe`: `after`, or `handle` when it waited (the outermost
/// probe's tag wins).
struct Probe {
    mode: Mode,
    log: Log,
    tag: &'static str,
    /// Kept out of runs of hooks: a layer of its own.
    alone: bool,
}

impl Stash for Mode {
    fn stash(self) -> Slot {
        Slot::Other(Box::new(self))
    }

    fn unstash(slot: Slot) -> Option<Self> {
        slot.take_other()
    }
}

impl Hook for Probe {
    type State<'a> = Mode;

    fn before(&self, _req: &mut Request) -> Before<Mode> {
        note(&self.log, format!("{} before", self.tag));
        match self.mode {
            Mode::AnswerForbidden => {
                Before::Answer(crate::Error::from(HttpError::new(403, "Forbidden")).into_response())
            }
            Mode::Wait => Before::Wait,
            Mode::PanicBefore => panic!("probe panicked before"),
            mode => Before::Pass(mode),
        }
    }

    fn after<'a>(
        &'a self,
        mode: Mode,
        response: &mut Response,
        _route: Option<Arc<RouteMatch>>,
    ) -> Option<BoxFuture<'a, Response>> {
        note(
            &self.log,
            format!("{} after {}", self.tag, response.status().as_u16()),
        );
        match mode {
            Mode::PanicAfter => panic!("probe panicked after"),
            Mode::PanicInAfterFuture => Some(Box::pin(async {
                tokio::task::yield_now().await;
                panic!("probe's after future panicked")
            })),
            Mode::AfterFuture => {
                let mut response = std::mem::take(response);
                Some(Box::pin(async move {
                    tokio::task::yield_now().await;
                    response
                        .headers_mut()
                        .insert("x-probe", self.tagged("after-future"));
                    response
                }))
            }
            _ => {
                response
                    .headers_mut()
                    .insert("x-probe", self.tagged("after"));
                None
            }
        }
    }
}

impl Middleware for Probe {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        if self.mode != Mode::Wait {
            return hook::handle(self, req, next).await;
        }
        note(&self.log, format!("{} handle", self.tag));
        let mut response = next.run(req).await;
        response
            .headers_mut()
            .insert("x-probe", self.tagged("handle"));
        Ok(response)
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("Probe")
    }

    fn __into_stack(self) -> StackEntry {
        if self.alone {
            hook::entry_alone(self)
        } else {
            hook::entry(self)
        }
    }
}

impl Probe {
    /// `what`, or `<tag> what` for a probe not called `probe`.
    fn tagged(&self, what: &str) -> HeaderValue {
        let value = if self.tag == "probe" {
            what.to_owned()
        } else {
            format!("{} {what}", self.tag)
        };
        HeaderValue::try_from(value).expect("a visible ASCII tag")
    }
}

/// Calls the probe's `handle` itself, as a user's middleware wrapping a
/// built-in would.
struct Wrapping(Probe);

impl Middleware for Wrapping {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        self.0.handle(req, next).await
    }
}

#[derive(Debug)]
struct Unicorn;

impl std::fmt::Display for Unicorn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a unicorn")
    }
}

impl std::error::Error for Unicorn {}

/// `GET /` (logs `handler`) and `GET /unicorn` (an error the exception
/// handler answers with a 418), behind `probe`, behind a function
/// middleware that logs what comes back to it.
fn app(log: &Log, probe: impl Middleware) -> App {
    logged(routes(log).add_middleware(probe), log)
}

/// The routes of [`app`].
fn routes(log: &Log) -> App {
    let handler_log = log.clone();
    App::new()
        .get("/", move || {
            let log = handler_log.clone();
            async move {
                note(&log, "handler");
                "hi"
            }
        })
        .get("/unicorn", || async {
            Err::<&str, _>(crate::Error::new(Unicorn))
        })
        .exception_handler(|_: &Unicorn| (StatusCode::IM_A_TEAPOT, "caught"))
        .exception_handler(|err: &HttpError| (err.status(), "handled"))
}

/// `app` behind a function middleware that logs what comes back to it.
fn logged(app: App, log: &Log) -> App {
    let outer_log = log.clone();
    app.middleware(move |req: Request, next: Next| {
        let log = outer_log.clone();
        async move {
            note(&log, "outer before");
            let response = next.run(req).await;
            let tag = response.headers().get("x-probe").cloned();
            let tag = tag.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("-");
            note(
                &log,
                format!("outer after {} {tag}", response.status().as_u16()),
            );
            response
        }
    })
}

fn probe(mode: Mode, log: &Log) -> Probe {
    Probe {
        mode,
        log: log.clone(),
        tag: "probe",
        alone: false,
    }
}

#[tokio::test]
async fn a_hook_runs_in_its_place_in_the_onion() {
    for wrapped in [false, true] {
        let log = Log::default();
        let app = if wrapped {
            app(&log, Wrapping(probe(Mode::Pass, &log)))
        } else {
            app(&log, probe(Mode::Pass, &log))
        };
        let res = TestClient::new(app).get("/").await;
        assert_eq!(
            (res.status(), res.header("x-probe")),
            (StatusCode::OK, Some("after"))
        );
        assert_eq!(
            events(&log),
            [
                "outer before",
                "probe before",
                "handler",
                "probe after 200",
                "outer after 200 after"
            ],
            "wrapped: {wrapped}"
        );
    }
}

#[tokio::test]
async fn after_sees_an_error_further_in_once_the_exception_handlers_answered_it() {
    let log = Log::default();
    let res = TestClient::new(app(&log, probe(Mode::Pass, &log)))
        .get("/unicorn")
        .await;
    assert_eq!(
        (res.status(), res.text()),
        (StatusCode::IM_A_TEAPOT, "caught".to_owned())
    );
    assert_eq!(
        events(&log),
        [
            "outer before",
            "probe before",
            "probe after 418",
            "outer after 418 after"
        ]
    );
}

#[tokio::test]
async fn an_answer_from_before_is_offered_to_the_exception_handlers_on_its_way_out() {
    let log = Log::default();
    let res = TestClient::new(app(&log, probe(Mode::AnswerForbidden, &log)))
        .get("/")
        .await;
    assert_eq!(
        (res.status(), res.text()),
        (StatusCode::FORBIDDEN, "handled".to_owned())
    );
    // Neither the handler nor the hook's own `after` ran.
    assert_eq!(
        events(&log),
        ["outer before", "probe before", "outer after 403 -"]
    );
}

#[tokio::test]
async fn a_hook_that_must_wait_runs_its_handle() {
    let log = Log::default();
    let res = TestClient::new(app(&log, probe(Mode::Wait, &log)))
        .get("/")
        .await;
    assert_eq!(res.header("x-probe"), Some("handle"));
    assert_eq!(
        events(&log),
        [
            "outer before",
            "probe before",
            "probe handle",
            "handler",
            "outer after 200 handle"
        ]
    );
}

#[tokio::test]
async fn after_may_finish_with_a_future() {
    let log = Log::default();
    let res = TestClient::new(app(&log, probe(Mode::AfterFuture, &log)))
        .get("/")
        .await;
    assert_eq!(res.header("x-probe"), Some("after-future"));
    assert_eq!(
        events(&log).last().map(String::as_str),
        Some("outer after 200 after-future")
    );
}

#[tokio::test]
async fn a_panic_in_before_or_after_is_a_500_that_outer_middleware_sees() {
    for (mode, ran) in [(Mode::PanicBefore, false), (Mode::PanicAfter, true)] {
        let log = Log::default();
        let client = TestClient::new(app(&log, probe(mode, &log))).raise_server_exceptions(false);
        let res = client.get("/").await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let events = events(&log);
        assert_eq!(events.contains(&"handler".to_owned()), ran);
        assert_eq!(events.last().map(String::as_str), Some("outer after 500 -"));
    }
}

/// Three probes, innermost first, behind the logging middleware: next to
/// each other, or each a layer of its own. Inside them, a tower layer
/// panics on `/tower-panic`, where no layer further in catches it.
fn three(log: &Log, modes: [Mode; 3], alone: bool) -> App {
    let panics = tower::layer::layer_fn(|next: crate::stack::NextService| {
        tower::service_fn(move |req: http::Request<crate::Body>| {
            let next = next.clone();
            async move {
                assert_ne!(req.uri().path(), "/tower-panic", "the tower layer panicked");
                tower::ServiceExt::oneshot(next, req).await
            }
        })
    });
    let mut app = routes(log).add_layer(panics);
    for (tag, mode) in ["inner", "middle", "outer"].into_iter().zip(modes) {
        app = app.add_middleware(Probe {
            mode,
            log: log.clone(),
            tag,
            alone,
        });
    }
    logged(app, log)
}

#[test]
fn adjacent_hooks_share_one_run() {
    let log = Log::default();
    let runs = |app: App| app.build().expect("builds").stack_root().hook_run();
    let hooks = |alone: [bool; 3]| {
        let mut app = routes(&log);
        for alone in alone {
            app = app.add_middleware(Probe {
                alone,
                ..probe(Mode::Pass, &log)
            });
        }
        app
    };
    assert_eq!(runs(hooks([false; 3])), 3);
    // The outermost starts the run; one kept alone breaks it.
    assert_eq!(runs(hooks([false, true, false])), 1);
    assert_eq!(runs(hooks([true, false, false])), 2);
    // A function middleware is no hook.
    assert_eq!(runs(logged(hooks([false; 3]), &log)), 0);
}

#[tokio::test]
async fn a_run_of_hooks_behaves_as_their_layers_one_inside_the_other() {
    for inner in MODES {
        for middle in MODES {
            for outer in MODES {
                let modes = [inner, middle, outer];
                for path in ["/", "/unicorn", "/tower-panic"] {
                    let mut seen = Vec::new();
                    for alone in [true, false] {
                        let log = Log::default();
                        let client = TestClient::new(three(&log, modes, alone))
                            .raise_server_exceptions(false);
                        let res = client.get(path).await;
                        let probe = res.header("x-probe").map(str::to_owned);
                        seen.push((res.status(), probe, res.text(), events(&log)));
                    }
                    assert_eq!(seen[0], seen[1], "{modes:?} {path}");
                }
            }
        }
    }
}

/// The built-ins that are hooks, innermost first, as one run; or each a
/// layer of its own, kept apart by function middleware that pass every
/// request on.
fn built_ins(apart: bool) -> App {
    use crate::middleware::{
        AccessLog, Authentication, Cors, ErrorHandler, GZip, ProcessTime, RateLimit, StaticToken,
        TrustedHost,
    };
    let add = |app: App, middleware: &dyn Fn(App) -> App| {
        let app = middleware(app);
        if apart {
            app.middleware(|req: Request, next: Next| next.run(req))
        } else {
            app
        }
    };
    let mut app = App::new()
        .get("/hello", || async { "hello" })
        .get("/health", || async { "ok" })
        .get("/big", || async { "big ".repeat(400) })
        .get("/boom", || async {
            Err::<&str, _>(crate::Error::msg("boom"))
        });
    app = add(app, &|app| {
        app.add_middleware(
            Authentication::api_key_header("authorization", StaticToken::new("Bearer token"))
                .exempt_route(http::Method::GET, "/health"),
        )
    });
    app = add(app, &|app| app.add_middleware(RateLimit::per_minute(8)));
    app = add(app, &|app| {
        app.add_middleware(AccessLog::new().level(tracing::Level::ERROR))
    });
    app = add(app, &|app| app.add_middleware(ProcessTime::new()));
    app = add(app, &|app| {
        app.add_middleware(GZip::new().minimum_size(500))
    });
    app = add(app, &|app| {
        app.add_middleware(TrustedHost::new().allowed_hosts(["testserver"]))
    });
    app = add(app, &|app| {
        app.add_middleware(
            Cors::new()
                .allow_origins(["http://localhost"])
                .allow_credentials(true)
                .allow_methods(["*"])
                .allow_headers(["*"])
                .expose_headers(["X-Process-Time"]),
        )
    });
    add(app, &|app| app.add_middleware(ErrorHandler::new()))
}

#[tokio::test]
async fn the_built_ins_answer_the_same_in_one_run_as_in_layers_of_their_own() {
    let run = built_ins(false).build().expect("builds");
    assert_eq!(run.stack_root().hook_run(), 8, "the built-ins make one run");
    let clients = [
        TestClient::new(built_ins(false)).raise_server_exceptions(false),
        TestClient::new(built_ins(true)).raise_server_exceptions(false),
    ];
    let mut seen: [Vec<String>; 2] = Default::default();
    for (client, seen) in clients.iter().zip(&mut seen) {
        let token = ("authorization", "Bearer token");
        let origin = ("origin", "http://localhost");
        let requests = [
            client
                .get("/hello")
                .header(token.0, token.1)
                .header(origin.0, origin.1),
            client.get("/hello").header(origin.0, origin.1),
            client.get("/hello").header(token.0, token.1),
            client
                .get("/health")
                .header("origin", "http://evil.example"),
            client
                .options("/hello")
                .header(origin.0, origin.1)
                .header("access-control-request-method", "PUT"),
            client
                .get("/big")
                .header(token.0, token.1)
                .header("accept-encoding", "br")
                .header("accept-encoding", "gzip"),
            client
                .get("/big")
                .header(token.0, token.1)
                .header("accept-encoding", "gzip"),
            client.get("/big").header(token.0, token.1),
            client
                .get("/hello")
                .header(token.0, token.1)
                .header("host", "evil.example"),
            client
                .get("/boom")
                .header(token.0, token.1)
                .header(origin.0, origin.1),
            // Past the quota of eight (the preflight and the wrong host never
            // reach it).
            client.get("/hello").header(token.0, token.1),
            client
                .get("/hello")
                .header(token.0, token.1)
                .header(origin.0, origin.1),
        ];
        for request in requests {
            let res = request.await;
            let mut headers: Vec<String> = res
                .headers()
                .iter()
                // Times: each app's own.
                .filter(|(name, _)| {
                    !["x-process-time", "ratelimit", "retry-after"].contains(&name.as_str())
                })
                .map(|(name, value)| format!("{name}: {value:?}"))
                .collect();
            headers.sort();
            seen.push(format!("{} {headers:?} {:?}", res.status(), res.bytes()));
        }
    }
    assert_eq!(seen[0], seen[1]);
    // The requests did reach each built-in.
    let statuses: Vec<&str> = seen[0].iter().map(|s| &s[..3]).collect();
    assert_eq!(
        statuses,
        ["200", "401", "200", "200", "200", "200", "200", "200", "400", "500", "429", "429"]
    );
}

/// A hook whose state holds a reference to `held`, given back in `after`.
struct Holds {
    held: Arc<()>,
}

impl Hook for Holds {
    type State<'a> = Arc<()>;

    fn before(&self, _req: &mut Request) -> Before<Arc<()>> {
        Before::Pass(self.held.clone())
    }
}

impl Stash for Arc<()> {
    fn stash(self) -> Slot {
        Slot::Other(Box::new(self))
    }

    fn unstash(slot: Slot) -> Option<Self> {
        slot.take_other()
    }
}

impl Middleware for Holds {
    async fn handle(&self, req: Request, next: Next) -> crate::Result<Response> {
        hook::handle(self, req, next).await
    }

    fn __into_stack(self) -> StackEntry {
        hook::entry(self)
    }
}

#[tokio::test]
async fn a_run_dropped_before_its_afters_lets_go_of_the_hooks_states() {
    let held = Arc::new(());
    let hooks = || {
        App::new()
            .get("/", std::future::pending::<&'static str>)
            .add_middleware(Holds { held: held.clone() })
            .add_middleware(Holds { held: held.clone() })
    };
    let run = hooks().build().expect("builds").stack_root().hook_run();
    assert_eq!(run, 2, "the two hooks share one run");
    let app = hooks().add_middleware(crate::middleware::Timeout::new(
        std::time::Duration::from_millis(20),
    ));
    let client = TestClient::new(app);
    let res = client.get("/").await;
    assert_eq!(res.status(), StatusCode::GATEWAY_TIMEOUT);
    // The two states, in the run the timeout dropped, are gone with it.
    assert_eq!(Arc::strong_count(&held), 3, "the two hooks' own references");
}
