//! The server's connections as one set: the watchdog that closes
//! connections keeping the server waiting for a request head (a slowloris
//! attack, or a keep-alive connection left idle) longer than the
//! header-read timeout, and the signal that asks every connection to close
//! gracefully when the server shuts down.
//!
//! hyper has a header-read timeout of its own, but it arms a timer and
//! makes an extra read on every request, which costs about a tenth of a
//! small request's time. This watchdog costs a few atomic stores per
//! request instead: each connection records when it started waiting for a
//! head, and one thread checks all connections a few times per timeout.
//!
//! When a connection waits for a head:
//! - from the moment it is accepted;
//! - for a keep-alive connection, from the moment its last response has
//!   been sent (however long writing it took).
//!
//! While a request is being handled, and until its response has been
//! sent, the connection is busy and is never closed. A connection
//! that waits too long has its pending read fail with `TimedOut`, and hyper
//! closes it.
//!
//! The shutdown signal is one flag, read once each time a connection's
//! task runs, rather than a channel each connection polls (hyper-util's
//! `GracefulShutdown` costs a `Notify` poll, about 150 instructions, per
//! request). Setting it wakes every connection that waits on its client,
//! through the waker its last read left here.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::task::AtomicWaker;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// `waiting_since` value: a request is in hand.
const BUSY: u64 = 0;
/// `waiting_since` value: a response was produced; the wait for the next
/// head starts at the next read that finds nothing.
const START_AT_NEXT_READ: u64 = u64::MAX;

/// All the connections of one server, and the clock they share.
pub(crate) struct Watchdog {
    started: Instant,
    /// Milliseconds since `started`, kept by the sweeper: cheaper to read
    /// on every request than the system clock, and precise enough.
    now_ms: AtomicU64,
    /// The header-read timeout; `None`: there is no sweeper, and nothing
    /// is timed.
    timeout_ms: Option<u64>,
    /// The server is shutting down: every connection should close once
    /// its requests in flight are answered.
    closing: AtomicBool,
    connections: Mutex<Vec<Weak<Watch>>>,
}

/// What the watchdog knows about one connection.
pub(crate) struct Watch {
    watchdog: Arc<Watchdog>,
    /// When the connection started waiting for a head (ms, never 0), or
    /// [`BUSY`], or [`START_AT_NEXT_READ`].
    waiting_since: AtomicU64,
    in_flight: AtomicUsize,
    /// Its last read found nothing: the connection waits on the client.
    reading: AtomicBool,
    /// Upgraded (a WebSocket): no longer HTTP, never waits for a head.
    upgraded: AtomicBool,
    expired: AtomicBool,
    /// It has been asked to close gracefully ([`Watch::take_closing`]).
    told: AtomicBool,
    waker: AtomicWaker,
}

impl Watchdog {
    /// The connection set of a server, and, with a header-read `timeout`,
    /// its sweeper: a thread of its own, not a tokio timer, because a
    /// timer pending in the runtime makes every one of its worker's parks
    /// read the clock and turn the timer wheel, about 200 instructions per
    /// request. The sweeper stops when the returned [`Sweeper`] is dropped.
    pub(crate) fn new(timeout: Option<Duration>) -> io::Result<(Arc<Self>, Option<Sweeper>)> {
        let watchdog = Arc::new(Watchdog {
            started: Instant::now(),
            now_ms: AtomicU64::new(1),
            timeout_ms: timeout.map(|timeout| {
                u64::try_from(timeout.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1)
            }),
            closing: AtomicBool::new(false),
            connections: Mutex::new(Vec::new()),
        });
        let (Some(timeout), Some(timeout_ms)) = (timeout, watchdog.timeout_ms) else {
            return Ok((watchdog, None));
        };
        let tick = (timeout / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
        let (stop, stopped) = mpsc::channel::<()>();
        let weak = Arc::downgrade(&watchdog);
        let thread = std::thread::Builder::new()
            .name("sluice-watchdog".into())
            .spawn(move || sweep(&weak, tick, timeout_ms, &stopped))?;
        let sweeper = Sweeper {
            stop: Some(stop),
            thread: Some(thread),
        };
        Ok((watchdog, Some(sweeper)))
    }

    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Watch>>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts watching a connection that was just accepted.
    pub(crate) fn watch(self: &Arc<Self>) -> Arc<Watch> {
        let watch = Arc::new(Watch {
            watchdog: self.clone(),
            waiting_since: AtomicU64::new(self.now_ms()),
            in_flight: AtomicUsize::new(0),
            reading: AtomicBool::new(false),
            upgraded: AtomicBool::new(false),
            expired: AtomicBool::new(false),
            told: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        });
        let mut connections = self.lock();
        if connections.len() == connections.capacity() {
            // Forget the connections that ended before growing: without a
            // sweeper, nothing else does. Amortized O(1) per connection.
            connections.retain(|weak| weak.strong_count() > 0);
        }
        connections.push(Arc::downgrade(&watch));
        watch
    }

    /// Asks every connection to close gracefully: each finishes the
    /// requests it has in hand, then closes. Wakes the ones waiting on
    /// their client so that they notice now; one that registers its waker
    /// after this pass sees the flag and wakes itself
    /// ([`Watch::read_found_nothing`]). The others notice at their next run.
    pub(crate) fn close_all(&self) {
        self.closing.store(true, Ordering::SeqCst);
        let connections: Vec<Arc<Watch>> = self.lock().iter().filter_map(Weak::upgrade).collect();
        for watch in connections {
            watch.waker.wake();
        }
    }
}

impl Watch {
    /// A request head has arrived: with a header-read timeout, the
    /// connection is busy until the returned guard is dropped. `None`
    /// without one: nothing needs to know.
    pub(crate) fn request_started(self: &Arc<Self>) -> Option<InFlight> {
        self.watchdog.timeout_ms?;
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.waiting_since.store(BUSY, Ordering::Release);
        Some(InFlight(self.clone()))
    }

    /// Whether the connection should now be asked to close gracefully:
    /// `true` once, the first time this is called after the server began
    /// shutting down.
    pub(crate) fn take_closing(&self) -> bool {
        self.watchdog.closing.load(Ordering::Acquire) && !self.told.swap(true, Ordering::AcqRel)
    }

    /// The HTTP connection is over, though its socket may live on (a
    /// WebSocket after an upgrade reads through it): the shutdown signal
    /// is no longer this connection's business, and a read that finds
    /// nothing must not wake its task for it (that task would spin).
    pub(crate) fn http_ended(&self) {
        self.told.store(true, Ordering::Release);
    }

    /// A request's response has been sent: once none is left in flight,
    /// the connection waits for the next head, from now if a read is
    /// already waiting on the client (hyper keeps one pending while it
    /// answers, to notice a client that leaves), else from the next one.
    fn request_finished(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            let since = if self.reading.load(Ordering::Acquire) {
                self.watchdog.now_ms()
            } else {
                START_AT_NEXT_READ
            };
            self.waiting_since.store(since, Ordering::Release);
        }
    }

    /// The connection was upgraded (`101 Switching Protocols`): whatever
    /// it waits for now is not a request head, so it is never closed.
    pub(crate) fn upgraded(&self) {
        self.upgraded.store(true, Ordering::Release);
    }

    fn read_found_nothing(&self, cx: &Context<'_>) {
        self.waker.register(cx.waker());
        // The shutdown may have begun since this connection's task last
        // looked, and woken the waker it had before this one: run again.
        if self.watchdog.closing.load(Ordering::SeqCst) && !self.told.load(Ordering::Acquire) {
            cx.waker().wake_by_ref();
        }
        self.reading.store(true, Ordering::Release);
        if self.waiting_since.load(Ordering::Acquire) == START_AT_NEXT_READ {
            let now = self.watchdog.now_ms();
            let _ = self.waiting_since.compare_exchange(
                START_AT_NEXT_READ,
                now,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }

    /// Whether the sweeper should close this connection at `now` (ms).
    fn overdue(&self, now: u64, timeout: u64) -> bool {
        let since = self.waiting_since.load(Ordering::Acquire);
        since != BUSY
            && since != START_AT_NEXT_READ
            && !self.upgraded.load(Ordering::Acquire)
            && self.in_flight.load(Ordering::Acquire) == 0
            && self.reading.load(Ordering::Acquire)
            && now.saturating_sub(since) > timeout
    }
}

/// Keeps a connection busy while it is alive: held by the request's
/// future, then by its response body until that has been sent, so that a
/// slow handler or a long stream is never taken for a slow client.
pub(crate) struct InFlight(Arc<Watch>);

impl InFlight {
    /// The connection was upgraded: see [`Watch::upgraded`].
    pub(crate) fn upgraded(&self) {
        self.0.upgraded();
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// Stops the sweeper thread when dropped, and waits for it: it wakes at
/// once and holds no lock for long.
pub(crate) struct Sweeper {
    /// Never sent on: dropping it disconnects the channel the sweeper
    /// waits on, which wakes it to stop.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Every tick: advances the clock, closes overdue connections, forgets the
/// ones that ended. Returns once the [`Sweeper`] or the watchdog is gone.
fn sweep(watchdog: &Weak<Watchdog>, tick: Duration, timeout_ms: u64, stopped: &mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
        let Some(watchdog) = watchdog.upgrade() else {
            return;
        };
        let now = u64::try_from(watchdog.started.elapsed().as_millis())
            .unwrap_or(u64::MAX - 1)
            .max(1);
        watchdog.now_ms.store(now, Ordering::Relaxed);
        let mut overdue = Vec::new();
        watchdog.lock().retain(|weak| match weak.upgrade() {
            None => false,
            Some(watch) => {
                if watch.overdue(now, timeout_ms) {
                    overdue.push(watch);
                    false
                } else {
                    true
                }
            }
        });
        for watch in overdue {
            watch.expired.store(true, Ordering::Release);
            watch.waker.wake();
        }
    }
}

pin_project_lite::pin_project! {
    /// A connection's I/O as the watchdog sees it: reads that find nothing
    /// are recorded, and an overdue connection's read fails.
    pub(crate) struct Watched<T> {
        #[pin]
        io: T,
        watch: Arc<Watch>,
    }
}

impl<T> Watched<T> {
    pub(crate) fn new(io: T, watch: Arc<Watch>) -> Self {
        Watched { io, watch }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "the client took too long to send a request head",
    )
}

impl Watch {
    /// A read of the client's bytes, as the watchdog sees it: one that
    /// finds nothing is recorded, and an overdue connection's fails.
    #[inline(always)]
    fn poll_watched<R>(
        &self,
        cx: &mut Context<'_>,
        read: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if self.expired.load(Ordering::Acquire) {
            return Poll::Ready(Err(timed_out()));
        }
        match read(cx) {
            Poll::Pending => {
                self.read_found_nothing(cx);
                // The sweeper may have expired it before the waker was set.
                if self.expired.load(Ordering::Acquire) {
                    return Poll::Ready(Err(timed_out()));
                }
                Poll::Pending
            }
            ready @ Poll::Ready(_) => {
                self.reading.store(false, Ordering::Release);
                ready
            }
        }
    }
}

impl Watched<tokio::net::TcpStream> {
    /// Copies the client's first bytes into `buf` without taking them
    /// from the socket, waiting for at least one (`0`: the client closed
    /// the connection). The watchdog times the wait as a read's.
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<usize>> {
        self.watch.poll_watched(cx, |cx| self.io.poll_peek(cx, buf))
    }
}

impl<T: AsyncRead> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let io = this.io;
        this.watch.poll_watched(cx, |cx| io.poll_read(cx, buf))
    }
}

impl<T: AsyncWrite> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advances(watchdog: &Watchdog) -> bool {
        let before = watchdog.now_ms();
        std::thread::sleep(Duration::from_millis(30));
        watchdog.now_ms() > before
    }

    #[test]
    fn the_sweeper_keeps_the_clock_until_it_is_dropped() {
        let (watchdog, sweeper) = Watchdog::new(Some(Duration::from_millis(40))).unwrap();
        assert!(advances(&watchdog), "the sweeper thread keeps the clock");
        drop(sweeper);
        assert!(!advances(&watchdog), "the sweeper thread stopped");
    }

    /// A waker that counts its wakes.
    struct Count(AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn shutting_down_wakes_a_waiting_connection_once_and_an_ended_one_never() {
        let (watchdog, _) = Watchdog::new(None).unwrap();
        let (waiting, ended) = (watchdog.watch(), watchdog.watch());
        let (count_waiting, count_ended) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let waker_waiting = std::task::Waker::from(count_waiting.clone());
        let waker_ended = std::task::Waker::from(count_ended.clone());
        waiting.read_found_nothing(&Context::from_waker(&waker_waiting));
        ended.http_ended();
        ended.read_found_nothing(&Context::from_waker(&waker_ended));

        watchdog.close_all();
        assert_eq!(count_waiting.0.load(Ordering::SeqCst), 1, "woken to notice");
        assert!(waiting.take_closing(), "told to close");
        assert!(!waiting.take_closing(), "told once");
        // Told, it reads on while it drains: no more wake-ups of its own.
        waiting.read_found_nothing(&Context::from_waker(&waker_waiting));
        assert_eq!(count_waiting.0.load(Ordering::SeqCst), 1);
        // An upgraded socket reading after the shutdown began is not woken
        // for it, however often it reads.
        for _ in 0..3 {
            ended.read_found_nothing(&Context::from_waker(&waker_ended));
        }
        assert!(!ended.take_closing());
        assert!(
            count_ended.0.load(Ordering::SeqCst) <= 1,
            "the shutdown's own pass at most"
        );
    }

    #[test]
    fn a_connection_that_starts_waiting_after_the_wake_up_pass_wakes_itself() {
        let (watchdog, _) = Watchdog::new(None).unwrap();
        let late = watchdog.watch();
        watchdog.close_all();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        late.read_found_nothing(&Context::from_waker(&waker));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_overdue_connection_is_expired_and_woken() {
        let (watchdog, _sweeper) = Watchdog::new(Some(Duration::from_millis(20))).unwrap();
        let watch = watchdog.watch();
        let waker = futures_util::task::noop_waker();
        watch.read_found_nothing(&Context::from_waker(&waker));
        let deadline = Instant::now() + Duration::from_secs(5);
        while !watch.expired.load(Ordering::Acquire) {
            assert!(Instant::now() < deadline, "never expired");
            std::thread::sleep(Duration::from_millis(5));
        }
        // A busy connection is never expired.
        let busy = watchdog.watch();
        let _in_flight = busy.request_started();
        busy.read_found_nothing(&Context::from_waker(&waker));
        std::thread::sleep(Duration::from_millis(80));
        assert!(!busy.expired.load(Ordering::Acquire));
    }
}
