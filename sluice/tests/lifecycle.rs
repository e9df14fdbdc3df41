//! Dependencies with cleanup and background tasks, in FastAPI's order.

use std::sync::{Arc, Mutex};

use http::request::Parts;
use serde_json::{json, Value};
use sluice::testing::TestClient;
use sluice::{
    App, BackgroundTasks, Dep, Dependency, Error, HttpError, Json, Next, Outcome, Request,
    RequestContext, Scope, State,
};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.lock().expect("not poisoned").push(event.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("not poisoned"))
    }
}

fn log_of(cx: &RequestContext) -> Log {
    cx.state::<Log>().expect("the app has a Log").clone()
}

struct Db {
    log: Log,
}

impl Dependency for Db {
    async fn enter(_parts: &mut Parts, cx: &RequestContext) -> sluice::Result<Self> {
        let log = log_of(cx);
        log.push("db:enter");
        Ok(Db { log })
    }

    async fn exit(&self, outcome: &Outcome) {
        match outcome.error() {
            None => self.log.push("db:exit"),
            Some(e) => self.log.push(format!("db:exit error={e}")),
        }
    }
}

struct Tx {
    log: Log,
}

impl Dependency for Tx {
    const SCOPE: Scope = Scope::Function;

    async fn enter(_parts: &mut Parts, cx: &RequestContext) -> sluice::Result<Self> {
        let log = log_of(cx);
        log.push("tx:enter");
        Ok(Tx { log })
    }

    async fn exit(&self, _outcome: &Outcome) {
        self.log.push("tx:exit");
    }
}

/// Depends on `Db`: entered after it, cleaned up before it.
struct Repo {
    log: Log,
    _db: Dep<Db>,
}

impl Dependency for Repo {
    async fn enter(parts: &mut Parts, cx: &RequestContext) -> sluice::Result<Self> {
        let db = Dep::<Db>::resolve(parts, cx).await?;
        let log = log_of(cx);
        log.push("repo:enter");
        Ok(Repo { log, _db: db })
    }

    async fn exit(&self, _outcome: &Outcome) {
        self.log.push("repo:exit");
    }
}

fn app_with(log: &Log) -> App {
    let mw_log = log.clone();
    App::new()
        .state(log.clone())
        .middleware(move |req: Request, next: Next| {
            let log = mw_log.clone();
            async move {
                log.push("mw:before");
                let response = next.run(req).await;
                log.push("mw:after");
                response
            }
        })
}

#[tokio::test]
async fn response_then_background_tasks_then_cleanup_in_reverse_order() {
    async fn work(
        State(log): State<Log>,
        _db: Dep<Db>,
        _tx: Dep<Tx>,
        tasks: BackgroundTasks,
    ) -> Json<Value> {
        log.push("handler");
        let (a, b) = (log.clone(), log.clone());
        tasks.add(async move { a.push("task:1") });
        tasks.add(async move { b.push("task:2") });
        Json(json!({"ok": true}))
    }
    let log = Log::default();
    let res = TestClient::new(app_with(&log).post("/work", work))
        .post("/work")
        .await;
    assert_eq!(res.json::<Value>(), json!({"ok": true}));
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "tx:enter",
            "handler",
            "tx:exit",
            "mw:after",
            "task:1",
            "task:2",
            "db:exit"
        ]
    );
}

#[tokio::test]
async fn a_dependency_of_a_dependency_is_entered_first_and_cleaned_up_last() {
    async fn handler(_repo: Dep<Repo>, _db: Dep<Db>) -> &'static str {
        "ok"
    }
    let log = Log::default();
    TestClient::new(app_with(&log).get("/", handler))
        .get("/")
        .await;
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "repo:enter",
            "mw:after",
            "repo:exit",
            "db:exit"
        ],
        "Db is entered once although asked for twice"
    );
}

#[tokio::test]
async fn on_failure_cleanup_sees_the_error_before_the_response_leaves_and_tasks_are_dropped() {
    async fn fails(
        _db: Dep<Db>,
        tasks: BackgroundTasks,
        State(log): State<Log>,
    ) -> sluice::Result<&'static str> {
        tasks.add(async move { log.push("task") });
        Err(Error::new(HttpError::new(409, "conflict")))
    }
    let log = Log::default();
    let res = TestClient::new(app_with(&log).get("/", fails))
        .get("/")
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "db:exit error=409: conflict",
            "mw:after"
        ]
    );
}

#[tokio::test]
async fn a_panicking_handler_still_cleans_up() {
    async fn boom(_db: Dep<Db>) -> &'static str {
        panic!("bug")
    }
    let log = Log::default();
    let res = TestClient::new(app_with(&log).get("/", boom))
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "db:exit error=panicked: bug",
            "mw:after"
        ]
    );
}

#[tokio::test]
async fn a_failing_task_or_cleanup_harms_nothing_else() {
    struct Fragile;
    impl Dependency for Fragile {
        async fn enter(_parts: &mut Parts, _cx: &RequestContext) -> sluice::Result<Self> {
            Ok(Fragile)
        }
        async fn exit(&self, _outcome: &Outcome) {
            panic!("cleanup bug")
        }
    }
    async fn handler(
        _db: Dep<Db>,
        _fragile: Dep<Fragile>,
        tasks: BackgroundTasks,
        State(log): State<Log>,
    ) -> &'static str {
        let later = log.clone();
        tasks.add(async {
            if true {
                panic!("task bug")
            }
        });
        tasks.add(async { Err::<(), _>("task error") });
        tasks.add(async move { later.push("task:after-failures") });
        "ok"
    }
    let log = Log::default();
    let client = TestClient::new(app_with(&log).get("/", handler)).raise_server_exceptions(false);
    let res = client.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "mw:after",
            "task:after-failures",
            "db:exit"
        ]
    );
    assert_eq!(client.get("/").await.status(), 200, "the app keeps serving");
}

#[tokio::test]
async fn background_tasks_can_use_a_request_scope_dependency() {
    async fn handler(db: Dep<Db>, tasks: BackgroundTasks) -> &'static str {
        let db = db.clone();
        tasks.add(async move { db.log.push("task uses db") });
        "ok"
    }
    let log = Log::default();
    TestClient::new(app_with(&log).get("/", handler))
        .get("/")
        .await;
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "mw:after",
            "task uses db",
            "db:exit"
        ]
    );
}

#[tokio::test]
async fn a_request_scope_dependency_cannot_use_a_function_scope_one() {
    struct Bad;
    impl Dependency for Bad {
        async fn enter(parts: &mut Parts, cx: &RequestContext) -> sluice::Result<Self> {
            Dep::<Tx>::resolve(parts, cx).await?;
            Ok(Bad)
        }
    }
    async fn handler(_bad: Dep<Bad>) -> &'static str {
        "never"
    }
    let log = Log::default();
    let res = TestClient::new(app_with(&log).get("/", handler))
        .raise_server_exceptions(false)
        .get("/")
        .await;
    assert_eq!(res.status(), 500);
    assert!(res
        .error()
        .is_some_and(|e| e.to_string().contains("function-scope")));
}

#[tokio::test]
async fn a_dependency_can_reject_the_request_with_an_http_error() {
    struct Auth;
    impl Dependency for Auth {
        async fn enter(parts: &mut Parts, _cx: &RequestContext) -> sluice::Result<Self> {
            match parts.headers.get("x-key") {
                Some(_) => Ok(Auth),
                None => Err(HttpError::new(401, "Unauthorized").into()),
            }
        }
    }
    async fn handler(_auth: Dep<Auth>) -> &'static str {
        "in"
    }
    let client = TestClient::new(App::new().get("/", handler));
    assert_eq!(client.get("/").await.status(), 401);
    assert_eq!(client.get("/").header("x-key", "k").await.text(), "in");
}

#[tokio::test]
async fn blocking_background_work_runs_on_the_blocking_pool() {
    async fn handler(tasks: BackgroundTasks, State(log): State<Log>) -> &'static str {
        tasks.add_blocking(move || log.push("blocking"));
        "ok"
    }
    let log = Log::default();
    TestClient::new(app_with(&log).get("/", handler))
        .get("/")
        .await;
    assert_eq!(log.take(), ["mw:before", "mw:after", "blocking"]);
}

#[tokio::test]
async fn a_cancelled_handler_still_cleans_up_its_dependencies() {
    use std::time::Duration;
    async fn slow(_db: Dep<Db>, tasks: BackgroundTasks, State(log): State<Log>) -> &'static str {
        tasks.add(async move { log.push("task") });
        tokio::time::sleep(Duration::from_secs(5)).await;
        "never"
    }
    let log = Log::default();
    let app = app_with(&log)
        .get("/", slow)
        .add_middleware(sluice::middleware::Timeout::new(Duration::from_millis(50)));
    let res = TestClient::new(app).get("/").await;
    assert_eq!(res.status(), 504);
    // The timeout is outermost, so the logging middleware was cancelled
    // too; the dependency was cleaned up all the same, and the task dropped.
    assert_eq!(
        log.take(),
        [
            "mw:before",
            "db:enter",
            "db:exit error=the request was cancelled before the handler finished"
        ]
    );
}
