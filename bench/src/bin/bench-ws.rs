//! `bench-ws`: the load generator of the WebSocket benchmark (`bench/run
//! --only websocket`), a tungstenite client on one thread.
//!
//! ```text
//! bench-ws echo --port N [--connections 64] [--seconds 5] [--warmup 1] [--size 32]
//! bench-ws idle --port N [--connections 1000]
//! ```
//!
//! `echo` opens the connections to `ws://127.0.0.1:N/ws`; each sends a
//! text message of `--size` bytes, waits for its echo, and again, until the
//! time is up. It prints one JSON line: the round trips counted after the
//! warm-up, the seconds they took, the rate, and the errors.
//!
//! `idle` opens the connections (each proves itself with one echo), prints
//! `open N`, and holds them until its standard input closes: the harness
//! reads the server's memory meanwhile.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};

struct Args {
    mode: String,
    port: u16,
    connections: usize,
    seconds: f64,
    warmup: f64,
    size: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mode = args
        .next()
        .ok_or("usage: bench-ws echo|idle --port N ...")?;
    if mode != "echo" && mode != "idle" {
        return Err(format!("unknown mode {mode:?}: echo or idle"));
    }
    let mut parsed = Args {
        connections: if mode == "idle" { 1000 } else { 64 },
        mode,
        port: 0,
        seconds: 5.0,
        warmup: 1.0,
        size: 32,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => parsed.port = number(&flag, &value)?,
            "--connections" => parsed.connections = number(&flag, &value)?,
            "--seconds" => parsed.seconds = number(&flag, &value)?,
            "--warmup" => parsed.warmup = number(&flag, &value)?,
            "--size" => parsed.size = number(&flag, &value)?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if parsed.port == 0 {
        return Err("--port is required".to_owned());
    }
    Ok(parsed)
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("bad value for {flag}: {value:?}"))
}

type Client = WebSocketStream<TcpStream>;

async fn open(port: u16) -> Result<Client, String> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (client, _) = client_async(format!("ws://127.0.0.1:{port}/ws"), tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(client)
}

/// One round trip: a text message out, its echo back.
async fn round_trip(client: &mut Client, payload: &str) -> Result<(), String> {
    client
        .send(Message::text(payload))
        .await
        .map_err(|e| format!("send: {e}"))?;
    match client.next().await {
        Some(Ok(Message::Text(text))) if text.as_str() == payload => Ok(()),
        other => Err(format!("unexpected answer: {other:?}")),
    }
}

async fn echo(args: &Args) -> Result<String, String> {
    let payload = "x".repeat(args.size);
    let mut clients = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        clients.push(open(args.port).await?);
    }
    let count = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs_f64(args.warmup + args.seconds);
    let mut tasks = Vec::new();
    for mut client in clients {
        let (count, errors, payload) = (count.clone(), errors.clone(), payload.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                if round_trip(&mut client, &payload).await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                count.fetch_add(1, Ordering::Relaxed);
            }
            let _ = client.close(None).await;
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let start_count = count.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep_until(end.into()).await;
    let counted = count.load(Ordering::Relaxed) - start_count;
    let seconds = started.elapsed().as_secs_f64();
    for task in tasks {
        let _ = task.await;
    }
    Ok(format!(
        "{{\"round_trips\":{counted},\"seconds\":{seconds:.3},\"rate\":{:.1},\"errors\":{}}}",
        counted as f64 / seconds,
        errors.load(Ordering::Relaxed)
    ))
}

async fn idle(args: &Args) -> Result<String, String> {
    let mut clients = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let mut client = open(args.port).await?;
        round_trip(&mut client, "ready").await?;
        clients.push(client);
    }
    println!("open {}", clients.len());
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    Ok(format!("closed {}", clients.len()))
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bench-ws: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-ws: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        if args.mode == "echo" {
            echo(&args).await
        } else {
            idle(&args).await
        }
    });
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-ws: {e}");
            ExitCode::FAILURE
        }
    }
}
