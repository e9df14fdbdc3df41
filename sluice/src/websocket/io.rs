//! The connection a handshake is upgraded to: hyper's upgraded connection
//! under the server, an in-memory pipe under the test client.
//!
//! The request carries how to get it ([`PendingUpgrade`]); it resolves
//! once the `101 Switching Protocols` response has left the app and been
//! sent, so the handler's `accept()` completes only then.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::oneshot;

use crate::request::Request;

/// The test client's end of an upgrade: the server's half of an in-memory
/// pipe, sent once the client has received the `101`, and a signal dropped
/// when the session has ended. (In a mutex, as request extensions must be
/// `Clone + Sync`; taken once.)
#[derive(Clone)]
pub(crate) struct TestUpgrade(Arc<Mutex<Option<TestPipe>>>);

struct TestPipe {
    pipe: oneshot::Receiver<DuplexStream>,
    ended: oneshot::Sender<()>,
}

impl TestUpgrade {
    #[cfg(feature = "testing")]
    pub(crate) fn new(pipe: oneshot::Receiver<DuplexStream>, ended: oneshot::Sender<()>) -> Self {
        TestUpgrade(Arc::new(Mutex::new(Some(TestPipe { pipe, ended }))))
    }

    fn take(&self) -> Option<TestPipe> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// How the request's connection becomes a WebSocket connection.
pub(crate) struct PendingUpgrade {
    io: BoxFuture<'static, io::Result<Upgraded>>,
    /// Under the test client: dropped when the session has ended.
    pub(crate) ended: Option<oneshot::Sender<()>>,
}

impl fmt::Debug for PendingUpgrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingUpgrade")
    }
}

impl PendingUpgrade {
    /// Takes the upgrade out of the request: hyper's under the server, the
    /// pipe under the test client. `None` when the connection cannot be
    /// upgraded (HTTP/2, or a server without upgrades).
    pub(crate) fn take(req: &mut Request) -> Option<Self> {
        let extensions = req.extensions_mut();
        if let Some(on_upgrade) = extensions.remove::<hyper::upgrade::OnUpgrade>() {
            return Some(PendingUpgrade {
                io: Box::pin(async move {
                    match on_upgrade.await {
                        Ok(upgraded) => Ok(Upgraded::Hyper(TokioIo::new(upgraded))),
                        Err(e) => Err(io::Error::other(e)),
                    }
                }),
                ended: None,
            });
        }
        let TestPipe { pipe, ended } = extensions.remove::<TestUpgrade>()?.take()?;
        Some(PendingUpgrade {
            io: Box::pin(async move {
                pipe.await.map(Upgraded::Pipe).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "the handshake's response was not a 101",
                    )
                })
            }),
            ended: Some(ended),
        })
    }

    /// Waits for the `101` to be sent and the connection handed over.
    pub(crate) async fn into_io(self) -> io::Result<Upgraded> {
        self.io.await
    }
}

/// An upgraded connection.
pub(crate) enum Upgraded {
    Hyper(TokioIo<hyper::upgrade::Upgraded>),
    Pipe(DuplexStream),
}

impl AsyncRead for Upgraded {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Upgraded::Hyper(io) => Pin::new(io).poll_read(cx, buf),
            Upgraded::Pipe(io) => Pin::new(io).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Upgraded {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Upgraded::Hyper(io) => Pin::new(io).poll_write(cx, buf),
            Upgraded::Pipe(io) => Pin::new(io).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Upgraded::Hyper(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Upgraded::Pipe(io) => Pin::new(io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Upgraded::Hyper(io) => io.is_write_vectored(),
            Upgraded::Pipe(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Upgraded::Hyper(io) => Pin::new(io).poll_flush(cx),
            Upgraded::Pipe(io) => Pin::new(io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Upgraded::Hyper(io) => Pin::new(io).poll_shutdown(cx),
            Upgraded::Pipe(io) => Pin::new(io).poll_shutdown(cx),
        }
    }
}
