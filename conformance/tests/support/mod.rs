//! What the conformance tests share: `conformance-app` processes on free
//! ports, raw HTTP/1.1 requests, and the real Redis of
//! `sluice/tests/support/redis.rs`.
#![allow(dead_code, unreachable_pub)]

#[path = "../../../sluice/tests/support/redis.rs"]
pub mod redis;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A running `conformance-app`; stopped (SIGTERM by PID) when dropped.
pub struct App {
    child: Child,
    pub addr: SocketAddr,
    stderr: std::path::PathBuf,
}

impl App {
    pub fn start(args: &[&str]) -> App {
        // One file per instance, even for instances with the same args.
        static N: AtomicUsize = AtomicUsize::new(0);
        let stderr = std::env::temp_dir().join(format!(
            "conformance-{}-{}-{}.stderr",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            args.first().copied().unwrap_or("app")
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_conformance-app"))
            .args(args)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("start conformance-app");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the ready line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .expect("an address");
        App {
            child,
            addr,
            stderr,
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
    }
}

/// One response: status, headers (lower-case names) and body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection.
pub fn request(addr: SocketAddr, method: &str, path: &str) -> Response {
    request_with(addr, method, path, "")
}

/// A request with extra header lines (each ending in `\r\n`).
pub fn request_with(addr: SocketAddr, method: &str, path: &str, extra: &str) -> Response {
    send(addr, method, path, extra, "")
}

/// A request with extra header lines and a JSON body.
pub fn send(addr: SocketAddr, method: &str, path: &str, extra: &str, json: &str) -> Response {
    let extra = if json.is_empty() {
        extra.to_owned()
    } else {
        format!(
            "{extra}content-type: application/json\r\ncontent-length: {}\r\n",
            json.len()
        )
    };
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: test\r\n{extra}connection: close\r\n\r\n{json}"
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a head");
    let mut lines = head.lines();
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("a status");
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}
