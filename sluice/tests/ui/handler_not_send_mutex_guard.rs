// A `std::sync::MutexGuard` held across an `.await`: the handler's future is
// not `Send`.
use std::sync::{Arc, Mutex};

use sluice::{App, State};

async fn log_hit() {}

async fn count(State(hits): State<Arc<Mutex<u64>>>) -> String {
    let mut guard = hits.lock().unwrap();
    *guard += 1;
    log_hit().await;
    guard.to_string()
}

fn main() {
    let _app = App::new()
        .state(Arc::new(Mutex::new(0_u64)))
        .get("/hits", count);
}
