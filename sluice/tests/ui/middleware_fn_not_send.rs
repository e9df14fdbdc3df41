// A function middleware holding a `std::sync::MutexGuard` across
// `next.run(req).await`.
use std::sync::{Arc, Mutex};

use sluice::{App, Next, Request, Response};

fn main() {
    let seen = Arc::new(Mutex::new(0_u64));
    let _app = App::new().middleware(move |req: Request, next: Next| {
        let seen = seen.clone();
        async move {
            let mut count = seen.lock().unwrap();
            *count += 1;
            let res: Response = next.run(req).await;
            drop(count);
            res
        }
    });
}
