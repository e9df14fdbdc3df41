// A function middleware returning something that is not a response.
use sluice::{App, Next, Request};

struct Timing {
    millis: u64,
}

async fn timing(req: Request, next: Next) -> Timing {
    let _ = next.run(req).await;
    Timing { millis: 1 }
}

fn main() {
    let _app = App::new().middleware(timing);
}
