//! The body of a file response: bytes already read, then the rest of the
//! file read chunk by chunk on tokio's blocking pool, one chunk ahead of
//! the connection: while one chunk is being sent, the next is read. A
//! large file never sits in memory (two chunks at most), and no read
//! blocks the runtime's threads.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future as _;
use std::io::{self, Read, Seek, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::task::JoinHandle;

/// How much of a file is read at once, as Starlette's `FileResponse`
/// reads it: the most a response holds in memory at a time.
pub(super) const CHUNK_SIZE: u64 = 64 * 1024;

/// One piece of a response body.
#[derive(Debug)]
pub(super) enum Segment {
    /// Bytes already in memory (a part head of `multipart/byteranges`, or
    /// the first chunk, read with the lookup).
    Bytes(Bytes),
    /// `len` bytes of the file from `offset`.
    File { offset: u64, len: u64 },
}

/// An open file and where its cursor is.
#[derive(Debug)]
pub(super) struct OpenFile {
    pub(super) file: File,
    pub(super) position: u64,
}

impl OpenFile {
    pub(super) fn new(file: File) -> Self {
        OpenFile { file, position: 0 }
    }

    /// Reads exactly `len` bytes from `offset`: no more, since the
    /// response announced its length, and no less (a file that shrank
    /// since it was looked up is an error, and the connection is closed).
    pub(super) fn read(&mut self, offset: u64, len: u64) -> io::Result<Bytes> {
        let capacity = usize::try_from(len).map_err(io::Error::other)?;
        self.read_into(offset, Vec::with_capacity(capacity))
    }

    /// [`OpenFile::read`] into `buf`, whose spare capacity is the length.
    /// The buffer comes from the caller so that the thread that frees it
    /// (the one sending the response) also allocated it: a buffer
    /// allocated on a blocking thread and freed on a runtime thread costs
    /// the allocator a lock between them on every chunk.
    pub(super) fn read_into(&mut self, offset: u64, mut buf: Vec<u8>) -> io::Result<Bytes> {
        let len = buf.capacity() - buf.len();
        if self.position != offset {
            self.file.seek(SeekFrom::Start(offset))?;
            self.position = offset;
        }
        let start = buf.len();
        (&mut self.file).take(len as u64).read_to_end(&mut buf)?;
        let read = buf.len() - start;
        self.position += read as u64;
        if read != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file is shorter than when it was looked up",
            ));
        }
        Ok(Bytes::from(buf))
    }
}

/// A chunk being read on the blocking pool; the file comes back with it.
type PendingRead = JoinHandle<(OpenFile, io::Result<Bytes>)>;

/// A streamed file body; see the module docs.
#[derive(Debug)]
pub(super) struct FileBody {
    file: Option<OpenFile>,
    segments: VecDeque<Segment>,
    reading: Option<PendingRead>,
    remaining: u64,
}

impl FileBody {
    pub(super) fn new(file: OpenFile, segments: VecDeque<Segment>) -> Self {
        let remaining = segments
            .iter()
            .map(|segment| match segment {
                Segment::Bytes(bytes) => bytes.len() as u64,
                Segment::File { len, .. } => *len,
            })
            .sum();
        FileBody {
            file: Some(file),
            segments,
            reading: None,
            remaining,
        }
    }
}

impl FileBody {
    /// Starts reading the next chunk of the front segment on the blocking
    /// pool, if it is a part of the file and no read is under way. Called
    /// as a chunk is handed over, so that the next one is read while the
    /// connection sends this one: at most two chunks of a response are in
    /// memory at a time.
    fn read_ahead(&mut self) {
        if self.reading.is_some() {
            return;
        }
        let Some(&Segment::File { offset, len }) = self.segments.front() else {
            return;
        };
        if len == 0 {
            return;
        }
        // The file is only missing while a read holds it.
        let Some(mut file) = self.file.take() else {
            return;
        };
        // At most CHUNK_SIZE, so it fits a usize.
        let buf = Vec::with_capacity(len.min(CHUNK_SIZE) as usize);
        self.reading = Some(tokio::task::spawn_blocking(move || {
            let read = file.read_into(offset, buf);
            (file, read)
        }));
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        loop {
            if let Some(reading) = &mut this.reading {
                let joined = ready!(Pin::new(reading).poll(cx));
                this.reading = None;
                let (file, read) = joined.map_err(io::Error::other)?;
                this.file = Some(file);
                let bytes = read?;
                if let Some(Segment::File { offset, len }) = this.segments.front_mut() {
                    *offset += bytes.len() as u64;
                    *len -= bytes.len() as u64;
                }
                this.remaining -= bytes.len() as u64;
                this.read_ahead();
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            match this.segments.front() {
                None => return Poll::Ready(None),
                Some(Segment::Bytes(_)) => {
                    let Some(Segment::Bytes(bytes)) = this.segments.pop_front() else {
                        unreachable!("the front segment was just seen to be bytes")
                    };
                    this.remaining -= bytes.len() as u64;
                    this.read_ahead();
                    if !bytes.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(bytes))));
                    }
                }
                Some(Segment::File { len: 0, .. }) => {
                    this.segments.pop_front();
                }
                Some(Segment::File { .. }) => {
                    this.read_ahead();
                    if this.reading.is_none() {
                        return Poll::Ready(Some(Err(io::Error::other(
                            "the file was lost after a failed read",
                        ))));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
