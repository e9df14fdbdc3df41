//! A real Redis for tests: Debian's `redis-server`, started by the test on a
//! free loopback port, with no persistence, in a temporary directory, and
//! stopped by its PID.
//!
//! ```ignore
//! mod support;
//! use support::redis::RedisServer;
//!
//! #[tokio::test]
//! async fn something_with_redis() {
//!     let Some(redis) = support::redis::shared() else { return }; // SLUICE_SKIP_REDIS=1
//!     let url = redis.url();
//!     // ...
//! }
//! ```
//!
//! - [`shared`]: one server per test binary, started on first use. Tests
//!   that share it use keys of their own (a prefix per test).
//! - [`RedisServer::start`]: a server of the test's own, for tests that
//!   kill, restart or otherwise disturb it.
//!
//! When `redis-server` is not installed, the tests fail with a message that
//! says how to install it; set `SLUICE_SKIP_REDIS=1` to skip them on
//! purpose. Each server runs under a small `sh` guardian that holds a pipe
//! from the test process: when the test process ends, however it ends, the
//! guardian stops the server, so no server outlives its tests.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Set to `1` to skip the tests that need Redis, on purpose.
pub const SKIP_VAR: &str = "SLUICE_SKIP_REDIS";

/// Where Debian's libfaketime lives (see [`faketime`]).
const LIBFAKETIME: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
];

/// The environment that runs a process with its wall clock moved by
/// `offset` (libfaketime's syntax: `"+2h"`, `"-90m"`), its monotonic clock
/// untouched: to run an app instance whose clock disagrees with the
/// others'. (Not for `redis-server`: libfaketime clashes with its
/// jemalloc.)
///
/// # Panics
///
/// When libfaketime is not installed, with how to install it.
pub fn faketime(offset: &str) -> Vec<(&'static str, String)> {
    let lib = LIBFAKETIME
        .iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!(
                "libfaketime is not installed: this test runs an app instance with a skewed \
                 clock. Install it with `apt-get install faketime`, or set {SKIP_VAR}=1 to \
                 skip the Redis tests on purpose."
            )
        });
    vec![
        ("LD_PRELOAD", (*lib).to_owned()),
        ("FAKETIME", offset.to_owned()),
        ("DONT_FAKE_MONOTONIC", "1".to_owned()),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_owned()),
    ]
}

/// Whether the Redis tests are skipped on purpose (`SLUICE_SKIP_REDIS=1`).
/// Prints a note when they are.
pub fn skipped() -> bool {
    let skip = std::env::var(SKIP_VAR).is_ok_and(|v| v == "1");
    if skip {
        eprintln!("{SKIP_VAR}=1: skipping a test that needs redis-server");
    }
    skip
}

/// The server shared by the tests of this binary, or `None` when the Redis
/// tests are skipped on purpose.
///
/// # Panics
///
/// When `redis-server` is not installed or does not start.
pub fn shared() -> Option<&'static RedisServer> {
    if skipped() {
        return None;
    }
    static SHARED: OnceLock<RedisServer> = OnceLock::new();
    Some(SHARED.get_or_init(RedisServer::launch))
}

/// One `redis-server` process.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    process: Option<Process>,
}

#[derive(Debug)]
struct Process {
    /// The guardian `sh`; closing its stdin makes it stop the server.
    guardian: Child,
    stdin: Option<ChildStdin>,
    /// The server's own PID.
    pid: u32,
}

impl RedisServer {
    /// A server of the test's own, or `None` when the Redis tests are
    /// skipped on purpose.
    ///
    /// # Panics
    ///
    /// When `redis-server` is not installed or does not start.
    pub fn start() -> Option<RedisServer> {
        if skipped() {
            return None;
        }
        Some(RedisServer::launch())
    }

    fn launch() -> RedisServer {
        let binary = find_redis_server();
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sluice-redis-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the redis temp dir");
        let mut last_error = String::new();
        // A free port can be taken between our check and the server's bind:
        // try a few.
        for _ in 0..5 {
            let port = free_port();
            let mut server = RedisServer {
                port,
                dir: dir.clone(),
                process: None,
            };
            match server.spawn(&binary) {
                Ok(()) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("redis-server did not start: {last_error}");
    }

    fn spawn(&mut self, binary: &Path) -> Result<(), String> {
        let log = self.dir.join("redis.log");
        let mut command = Command::new("sh");
        // The guardian: start the server, print its PID, wait until our end
        // of the pipe closes (the test is done, or the test process died),
        // then stop the server by that PID.
        command
            .arg("-c")
            .arg(r#""$@" & pid=$!; echo "$pid"; read -r _; kill "$pid" 2>/dev/null; wait "$pid""#)
            .arg("sh")
            .arg(binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", "no"])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut guardian = command.spawn().map_err(|e| format!("cannot run sh: {e}"))?;
        let stdin = guardian.stdin.take();
        let stdout = guardian.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the server's pid: {e}"))?;
        let pid: u32 = line
            .trim()
            .parse()
            .map_err(|_| format!("unexpected pid line {line:?}"))?;
        self.process = Some(Process {
            guardian,
            stdin,
            pid,
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.try_command(&["PING"]).as_deref() == Ok("PONG") {
                return Ok(());
            }
            if !self.alive() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                self.stop_process();
                return Err(format!("it exited; its log:\n{log}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop_process();
        Err("no PONG within 10 s".to_owned())
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's PID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(|p| p.pid)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits until it
    /// is gone.
    pub fn kill(&mut self) {
        if let Some(pid) = self.pid() {
            signal(pid, "KILL");
            self.wait_gone();
        }
    }

    /// Freezes the server (SIGSTOP): it keeps its connections but answers
    /// nothing, as a Redis stuck in a long command or behind a dead link.
    pub fn pause(&self) {
        if let Some(pid) = self.pid() {
            signal(pid, "STOP");
        }
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        if let Some(pid) = self.pid() {
            signal(pid, "CONT");
        }
    }

    /// Starts the server again on the same port (after [`RedisServer::kill`]);
    /// its data is gone, as after a crash without persistence.
    pub fn restart(&mut self) {
        self.stop_process();
        let binary = find_redis_server();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn(&binary) {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("redis-server did not restart: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Sends one command and returns the reply as text (an integer as its
    /// digits, an array as its items joined by newlines, nil as `(nil)`).
    ///
    /// # Panics
    ///
    /// When the server does not answer, or answers with an error.
    pub fn command(&self, args: &[&str]) -> String {
        match self.try_command(args) {
            Ok(reply) => reply,
            Err(e) => panic!("redis {args:?}: {e}"),
        }
    }

    fn try_command(&self, args: &[&str]) -> Result<String, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream =
            TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .map_err(|e| e.to_string())?;
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        stream.write_all(&request).map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        read_reply(&mut reader)
    }

    fn alive(&mut self) -> bool {
        match &mut self.process {
            Some(process) => {
                matches!(process.guardian.try_wait(), Ok(None))
                    && Path::new(&format!("/proc/{}", process.pid)).exists()
                    && !is_zombie(process.pid)
            }
            None => false,
        }
    }

    fn wait_gone(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let Some(pid) = self.pid() else { return };
            if !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not exit");
    }

    /// Stops the server (SIGTERM by its PID, through the guardian) and
    /// reaps the guardian.
    fn stop_process(&mut self) {
        self.resume();
        if let Some(mut process) = self.process.take() {
            // Closing the pipe makes the guardian kill the server by PID
            // and wait for it.
            drop(process.stdin.take());
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match process.guardian.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        signal(process.pid, "KILL");
                        let _ = process.guardian.kill();
                        let _ = process.guardian.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop_process();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_reply(reader: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(line.len().min(1));
    match kind {
        "+" | ":" => Ok(rest.to_owned()),
        "-" => Err(rest.to_owned()),
        "$" => {
            let len: i64 = rest.parse().map_err(|_| format!("bad reply {line:?}"))?;
            if len < 0 {
                return Ok("(nil)".to_owned());
            }
            let mut buf = vec![0; len as usize + 2];
            reader.read_exact(&mut buf).map_err(|e| e.to_string())?;
            buf.truncate(len as usize);
            String::from_utf8(buf).map_err(|e| e.to_string())
        }
        "*" => {
            let len: i64 = rest.parse().map_err(|_| format!("bad reply {line:?}"))?;
            let items = (0..len.max(0))
                .map(|_| read_reply(reader))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(items.join("\n"))
        }
        _ => Err(format!("bad reply {line:?}")),
    }
}

fn find_redis_server() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "redis-server is not installed, and these tests run against a real one. \
                 Install it with `apt-get install redis-server` (Debian/Ubuntu; it need not run \
                 as a service: the tests start their own), or set {SKIP_VAR}=1 to skip the \
                 Redis tests on purpose."
            )
        })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}
