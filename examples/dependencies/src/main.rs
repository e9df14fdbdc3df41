//! Dependencies with cleanup and background tasks, and when each runs
//! relative to middleware.
//!
//! A `Dependency` (FastAPI's dependency with `yield`) opens a "session"
//! before the handler and closes it after the response has been sent; the
//! handler schedules a background task, which runs after the response too,
//! before the cleanup, so it can still use the session. A middleware logs
//! around all of it. After `POST /work`, `GET /log` shows the order:
//! `mw:before, dep:enter, handler, mw:after, background, dep:exit` (then
//! the `mw:before` of the `GET` itself).
//!
//! ```sh
//! cargo run -p example-dependencies
//! curl -X POST http://127.0.0.1:8000/work && curl http://127.0.0.1:8000/log
//! ```

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use sluice::http::request::Parts;
use sluice::{
    App, BackgroundTasks, Dep, Dependency, Json, Next, Outcome, Request, RequestContext, Response,
    State,
};

/// The app's event log, shared through the app state.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn push(&self, event: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(event.into());
    }

    fn snapshot(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A resource opened for one request and closed after it.
struct Session {
    events: Events,
}

impl Dependency for Session {
    async fn enter(_parts: &mut Parts, cx: &RequestContext) -> sluice::Result<Self> {
        let events = cx.state::<Events>().cloned().unwrap_or_default();
        events.push("dep:enter");
        Ok(Session { events })
    }

    async fn exit(&self, outcome: &Outcome) {
        let how = if outcome.is_ok() {
            ""
        } else {
            " (after an error)"
        };
        self.events.push(format!("dep:exit{how}"));
    }
}

/// Logs before and after the rest of the app.
async fn log_middleware(req: Request, next: Next, events: Events) -> Response {
    events.push("mw:before");
    let response = next.run(req).await;
    events.push("mw:after");
    response
}

async fn work(session: Dep<Session>, tasks: BackgroundTasks) -> Json<Value> {
    session.events.push("handler");
    let session = session.clone();
    tasks.add(async move { session.events.push("background") });
    Json(json!({"ok": true}))
}

async fn read_log(State(events): State<Events>) -> Json<Value> {
    Json(json!({ "events": events.snapshot() }))
}

fn app_with(events: Events) -> App {
    let for_middleware = events.clone();
    App::new()
        .post("/work", work)
        .get("/log", read_log)
        .state(events)
        .middleware(move |req, next| log_middleware(req, next, for_middleware.clone()))
}

fn app() -> App {
    app_with(Events::default())
}

#[tokio::main]
async fn main() -> Result<(), sluice::ServeError> {
    app().run("127.0.0.1:8000").await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice::testing::TestClient;

    #[tokio::test]
    async fn background_tasks_run_after_the_response_and_before_cleanup() {
        let events = Events::default();
        let client = TestClient::new(app_with(events.clone()));
        let res = client.post("/work").await;
        assert_eq!(res.json::<Value>(), json!({"ok": true}));
        // The test client returns once background tasks and cleanups ran.
        assert_eq!(
            events.snapshot(),
            [
                "mw:before",
                "dep:enter",
                "handler",
                "mw:after",
                "background",
                "dep:exit"
            ]
        );
    }

    #[tokio::test]
    async fn the_log_is_served_too() {
        let client = TestClient::new(app());
        client.post("/work").await;
        let res = client.get("/log").await;
        assert_eq!(res.json::<Value>()["events"][5], "dep:exit");
    }
}
