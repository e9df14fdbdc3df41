//! The content codings and their encoders: `gzip` with [`flate2`], `br`
//! with [`brotli`] and `zstd` with [`zstd`](https://docs.rs/zstd).

use std::cell::RefCell;
use std::io::{self, Write};

use bytes::{BufMut, Bytes, BytesMut};
use http::HeaderValue;

/// A content coding sluice can produce ([RFC 9110 §8.4.1]).
///
/// [RFC 9110 §8.4.1]: https://www.rfc-editor.org/rfc/rfc9110#section-8.4.1
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    /// `gzip` ([RFC 1952](https://www.rfc-editor.org/rfc/rfc1952)).
    Gzip,
    /// `br` ([RFC 7932](https://www.rfc-editor.org/rfc/rfc7932)).
    #[cfg(feature = "br")]
    Br,
    /// `zstd` ([RFC 8878](https://www.rfc-editor.org/rfc/rfc8878)).
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Coding {
    /// The `Content-Encoding` value.
    pub(crate) fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Coding::Gzip => "gzip",
            #[cfg(feature = "br")]
            Coding::Br => "br",
            #[cfg(feature = "zstd")]
            Coding::Zstd => "zstd",
        })
    }
}

/// The brotli window for streams: 4 MiB, brotli's default.
#[cfg(feature = "br")]
const BROTLI_STREAM_WINDOW: u32 = 22;

/// A coding and its level: everything needed to compress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Codec {
    pub(crate) coding: Coding,
    /// gzip: 0..=9, br: 0..=11, zstd: `zstd::compression_level_range()`.
    pub(crate) level: i32,
}

impl Codec {
    /// Compresses a whole body in one go.
    pub(crate) fn compress(self, data: &[u8]) -> io::Result<Bytes> {
        match self.coding {
            Coding::Gzip => gzip_whole(self.level, data),
            #[cfg(feature = "br")]
            Coding::Br => {
                // The smallest window that holds the whole body: same
                // output size, far less memory for small bodies.
                let mut window = 10;
                while window < BROTLI_STREAM_WINDOW && (1usize << window) - 16 < data.len() {
                    window += 1;
                }
                let mut encoder = brotli::CompressorWriter::new(
                    Vec::with_capacity(data.len() / 4 + 64),
                    4096,
                    brotli_quality(self.level),
                    window,
                );
                encoder.write_all(data)?;
                Ok(Bytes::from(encoder.into_inner()))
            }
            #[cfg(feature = "zstd")]
            Coding::Zstd => zstd_whole(self.level, data),
        }
    }

    /// A streaming encoder, for bodies that arrive in chunks.
    pub(crate) fn encoder(self) -> io::Result<Encoder> {
        let out = BytesMut::new().writer();
        Ok(match self.coding {
            Coding::Gzip => {
                Encoder::Gzip(flate2::write::GzEncoder::new(out, gzip_level(self.level)))
            }
            #[cfg(feature = "br")]
            Coding::Br => Encoder::Br(Box::new(brotli::CompressorWriter::new(
                out,
                4096,
                brotli_quality(self.level),
                BROTLI_STREAM_WINDOW,
            ))),
            #[cfg(feature = "zstd")]
            Coding::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(out, self.level)?),
        })
    }
}

thread_local! {
    /// Each thread keeps its whole-body gzip compressors, one per level in
    /// use: their state (about 270 KiB at level 9) would otherwise be
    /// allocated, zeroed and page-faulted in for every response, which
    /// costs far more than compressing a few KiB.
    static GZIP: RefCell<Vec<(i32, flate2::Compress)>> = const { RefCell::new(Vec::new()) };
}

#[cfg(feature = "zstd")]
thread_local! {
    /// The same for zstd compression contexts.
    static ZSTD: RefCell<Vec<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(Vec::new()) };
}

/// The index of the entry for `level` in a per-thread cache, creating it
/// with `make` the first time.
fn cached<T>(
    cache: &mut Vec<(i32, T)>,
    level: i32,
    make: impl FnOnce() -> io::Result<T>,
) -> io::Result<usize> {
    match cache.iter().position(|(l, _)| *l == level) {
        Some(index) => Ok(index),
        None => {
            cache.push((level, make()?));
            Ok(cache.len() - 1)
        }
    }
}

/// One gzip member (header, deflate stream, trailer) with a reused
/// compressor.
fn gzip_whole(level: i32, data: &[u8]) -> io::Result<Bytes> {
    GZIP.with_borrow_mut(|cache| {
        let index = cached(cache, level, || {
            Ok(flate2::Compress::new_gzip(gzip_level(level), 15))
        })?;
        let compress = &mut cache[index].1;
        compress.reset();
        let mut out = Vec::with_capacity(data.len() / 4 + 64);
        loop {
            let consumed = usize::try_from(compress.total_in())
                .expect("no more input is consumed than was given");
            let status = compress
                .compress_vec(&data[consumed..], &mut out, flate2::FlushCompress::Finish)
                .map_err(io::Error::other)?;
            match status {
                flate2::Status::StreamEnd => return Ok(Bytes::from(out)),
                flate2::Status::Ok | flate2::Status::BufError => out.reserve(out.capacity()),
            }
        }
    })
}

/// One zstd frame with a reused context.
#[cfg(feature = "zstd")]
fn zstd_whole(level: i32, data: &[u8]) -> io::Result<Bytes> {
    ZSTD.with_borrow_mut(|cache| {
        let index = cached(cache, level, || zstd::bulk::Compressor::new(level))?;
        cache[index].1.compress(data).map(Bytes::from)
    })
}

fn gzip_level(level: i32) -> flate2::Compression {
    flate2::Compression::new(level.clamp(0, 9).unsigned_abs())
}

#[cfg(feature = "br")]
fn brotli_quality(level: i32) -> u32 {
    level.clamp(0, 11).unsigned_abs()
}

type Out = bytes::buf::Writer<BytesMut>;

/// A streaming encoder: each chunk goes in and comes out compressed and
/// flushed, so the client can decode everything sent so far.
pub(crate) enum Encoder {
    Gzip(flate2::write::GzEncoder<Out>),
    #[cfg(feature = "br")]
    Br(Box<brotli::CompressorWriter<Out>>),
    #[cfg(feature = "zstd")]
    Zstd(zstd::stream::write::Encoder<'static, Out>),
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoder::Gzip(_) => "Encoder::Gzip",
            #[cfg(feature = "br")]
            Encoder::Br(_) => "Encoder::Br",
            #[cfg(feature = "zstd")]
            Encoder::Zstd(_) => "Encoder::Zstd",
        })
    }
}

impl Encoder {
    /// Compresses `data` and flushes (gzip: `Z_SYNC_FLUSH`; br:
    /// `BROTLI_OPERATION_FLUSH`; zstd: `ZSTD_e_flush`), returning every
    /// byte produced so far.
    pub(crate) fn chunk(&mut self, data: &[u8]) -> io::Result<Bytes> {
        match self {
            Encoder::Gzip(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                Ok(take(encoder.get_mut()))
            }
            #[cfg(feature = "br")]
            Encoder::Br(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                Ok(take(encoder.get_mut()))
            }
            #[cfg(feature = "zstd")]
            Encoder::Zstd(encoder) => {
                encoder.write_all(data)?;
                encoder.flush()?;
                Ok(take(encoder.get_mut()))
            }
        }
    }

    /// Ends the stream, returning the last bytes (trailer included).
    pub(crate) fn finish(self) -> io::Result<Bytes> {
        let mut out = match self {
            Encoder::Gzip(encoder) => encoder.finish()?,
            #[cfg(feature = "br")]
            Encoder::Br(encoder) => encoder.into_inner(),
            #[cfg(feature = "zstd")]
            Encoder::Zstd(encoder) => encoder.finish()?,
        };
        Ok(take(&mut out))
    }
}

/// Takes what was written so far, keeping the spare capacity for the next
/// chunk.
fn take(out: &mut Out) -> Bytes {
    out.get_mut().split().freeze()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn codecs() -> Vec<Codec> {
        vec![
            Codec {
                coding: Coding::Gzip,
                level: 9,
            },
            #[cfg(feature = "br")]
            Codec {
                coding: Coding::Br,
                level: 4,
            },
            #[cfg(feature = "zstd")]
            Codec {
                coding: Coding::Zstd,
                level: 3,
            },
        ]
    }

    fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Gzip => flate2::read::GzDecoder::new(data).read_to_end(&mut out),
            #[cfg(feature = "br")]
            Coding::Br => brotli::Decompressor::new(data, 4096).read_to_end(&mut out),
            #[cfg(feature = "zstd")]
            Coding::Zstd => {
                zstd::stream::read::Decoder::new(data).and_then(|mut d| d.read_to_end(&mut out))
            }
        }
        .expect("valid compressed data");
        out
    }

    #[test]
    fn whole_bodies_round_trip() {
        let data = b"hello world ".repeat(1000);
        for codec in codecs() {
            let compressed = codec.compress(&data).expect("compresses");
            assert!(compressed.len() < data.len() / 10, "{codec:?}");
            assert_eq!(decode(codec.coding, &compressed), data, "{codec:?}");
            assert_eq!(
                decode(codec.coding, &codec.compress(b"").expect("empty")),
                b""
            );
        }
    }

    #[test]
    fn reused_compressors_start_afresh_each_time() {
        // Incompressible bytes make the output outgrow its first buffer.
        let mut state: u32 = 1;
        let noise: Vec<u8> = (0..20_000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            })
            .collect();
        let inputs: [&[u8]; 4] = [&noise, b"hello", &[b'x'; 5000], b""];
        for _ in 0..3 {
            for data in inputs {
                for codec in codecs() {
                    for level in [1, codec.level] {
                        let codec = Codec { level, ..codec };
                        let compressed = codec.compress(data).expect("compresses");
                        assert_eq!(decode(codec.coding, &compressed), data, "{codec:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn streams_round_trip_and_each_chunk_is_decodable_at_once() {
        for codec in codecs() {
            let mut encoder = codec.encoder().expect("an encoder");
            let mut sent = Vec::new();
            let mut expected = Vec::new();
            for i in 0..5u8 {
                let chunk = vec![b'a' + i; 100];
                let out = encoder.chunk(&chunk).expect("compresses");
                assert!(!out.is_empty(), "{codec:?}: a flushed chunk is never empty");
                sent.extend_from_slice(&out);
                expected.extend_from_slice(&chunk);
                // Everything sent so far decodes to everything written.
                let partial = match codec.coding {
                    Coding::Gzip => {
                        let mut d = flate2::write::GzDecoder::new(Vec::new());
                        d.write_all(&sent).expect("decodes");
                        d.flush().expect("flushes");
                        d.get_ref().clone()
                    }
                    #[cfg(feature = "br")]
                    Coding::Br => {
                        let mut d = brotli::DecompressorWriter::new(Vec::new(), 4096);
                        d.write_all(&sent).expect("decodes");
                        d.flush().expect("flushes");
                        d.get_ref().clone()
                    }
                    #[cfg(feature = "zstd")]
                    Coding::Zstd => {
                        let mut d = zstd::stream::write::Decoder::new(Vec::new()).expect("decoder");
                        d.write_all(&sent).expect("decodes");
                        d.flush().expect("flushes");
                        d.get_ref().clone()
                    }
                };
                assert_eq!(partial, expected, "{codec:?} after chunk {i}");
            }
            sent.extend_from_slice(&encoder.finish().expect("finishes"));
            assert_eq!(decode(codec.coding, &sent), expected, "{codec:?}");
        }
    }
}
