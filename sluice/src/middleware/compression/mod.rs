//! Response compression: [`GZip`] (Starlette's `GZipMiddleware`) and
//! [`Compression`] (`gzip`, `br` and `zstd`, negotiated).
//!
//! ```
//! use std::io::Read;
//!
//! use sluice::middleware::GZip;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/large", || async { "x".repeat(4000) })
//!     .get("/small", || async { "x".repeat(10) })
//!     .add_middleware(GZip::new()); // minimum_size 500, compress_level 9
//! let client = TestClient::new(app);
//!
//! let res = client.get("/large").header("accept-encoding", "gzip").await;
//! assert_eq!(res.header("content-encoding"), Some("gzip"));
//! assert_eq!(res.header("vary"), Some("Accept-Encoding"));
//! let length: usize = res.header("content-length").unwrap().parse().unwrap();
//! assert_eq!(length, res.bytes().len());
//! let mut text = String::new();
//! flate2::read::GzDecoder::new(&res.bytes()[..]).read_to_string(&mut text).unwrap();
//! assert_eq!(text, "x".repeat(4000));
//!
//! // A client that refuses gzip gets the body as is, and the Vary.
//! let res = client.get("/large").header("accept-encoding", "gzip;q=0").await;
//! assert_eq!(res.header("content-encoding"), None);
//! assert_eq!(res.header("vary"), Some("Accept-Encoding"));
//! assert_eq!(res.text(), "x".repeat(4000));
//!
//! // Below minimum_size: untouched, no Vary.
//! let res = client.get("/small").header("accept-encoding", "gzip").await;
//! assert_eq!(res.header("content-encoding"), None);
//! assert_eq!(res.header("vary"), None);
//! # }
//! ```
//!
//! # What is compressed
//!
//! Both middlewares follow Starlette 1.10's `GZipMiddleware` rules. A
//! *whole* body is one held in memory
//! ([`Body::as_bytes`](crate::Body::as_bytes) is `Some`: strings, bytes,
//! JSON), Starlette's single-message response; a *streamed* body is
//! anything else ([`Body::from_stream`](crate::Body::from_stream)),
//! Starlette's `StreamingResponse`.
//!
//! | the response | client accepts a coding | client does not |
//! |---|---|---|
//! | already has [`Content-Encoding`]; status 204, 206, 304 or 1xx; an excluded media type; [`Cache-Control: no-transform`] | as is, no `Vary` | as is, no `Vary` |
//! | whole body smaller than `minimum_size` | as is, no `Vary` | as is, no `Vary` |
//! | whole body of at least `minimum_size` | compressed, `Content-Encoding`, `Content-Length` of the compressed bytes, [`Vary: Accept-Encoding`] | as is (its `Content-Length` kept), `Vary: Accept-Encoding` |
//! | streamed body, of any size | compressed chunk by chunk, each chunk flushed at once; `Content-Encoding`, no `Content-Length`, `Vary: Accept-Encoding` | as is, `Vary: Accept-Encoding` |
//!
//! - `Vary: Accept-Encoding` is merged into any `Vary` already there
//!   (`Vary: Cookie, Accept-Encoding`), and only added when the response
//!   could have been compressed for some client, so caches key on it.
//! - Streams are flushed after every chunk (gzip's `Z_SYNC_FLUSH`), so a
//!   progress stream reaches the client as it is produced, never held back
//!   in the compressor. Server-sent events (`text/event-stream`) are
//!   excluded by default and pass through untouched and unbuffered.
//! - Bodies and stream chunks of at least `thread_minimum_size` (128 KiB)
//!   are compressed on tokio's blocking pool, never on the async threads
//!   that serve other requests.
//! - **HEAD** gets the headers a GET would get ([RFC 9110 §9.3.2]), as in
//!   Starlette: for a large whole body, `Content-Encoding: gzip` and the
//!   `Content-Length` of the compressed body (which is compressed to know
//!   it, then not sent). 204 and 304 responses are always left alone.
//!
//! # Options
//!
//! | option | default | what it does |
//! |---|---|---|
//! | `minimum_size` | 500 | whole bodies smaller than this are left alone; streams are always compressed (their size is unknown when the headers leave) |
//! | `compress_level` ([`GZip`]), `gzip_level` ([`Compression`]) | 9 | gzip level, 0 (store) to 9 (smallest) |
//! | `br_quality` ([`Compression`]) | 4 | brotli quality, 0 to 11 |
//! | `zstd_level` ([`Compression`]) | 3 | zstd level, 1 to 22 (negative: faster) |
//! | `gzip`, `br`, `zstd` ([`Compression`]) | all on | which codings are offered |
//! | `exclude_content_types` | [`DEFAULT_EXCLUDED_CONTENT_TYPES`] | media types never compressed: `type/subtype` (also covering `type/subtype+suffix`) or `type/*`, matched case-insensitively on the `Content-Type` without parameters |
//! | `thread_minimum_size` | 128 KiB | bodies and chunks this large are compressed on the blocking pool |
//!
//! A level out of range, or an excluded type that is not a media range, is
//! reported as a [`ConfigError`](crate::ConfigError) when the app is built.
//!
//! # Negotiation, and where sluice does better than Starlette
//!
//! Starlette compresses when the text `gzip` appears anywhere in
//! `Accept-Encoding`. sluice reads the header as [RFC 9110 §12.5.3] says:
//! codings are case-insensitive, each may carry a weight (`q`), `q=0` means
//! "not acceptable", `*` stands for every coding not listed, and `x-gzip`
//! means `gzip`. Several `Accept-Encoding` lines form one list; a coding
//! listed twice counts with its lower weight; a malformed weight makes its
//! entry unacceptable (sending the body as is is always safe).
//!
//! | `Accept-Encoding` | [`GZip`] sends | Starlette sends |
//! |---|---|---|
//! | (absent), empty, `identity`, `deflate` | as is | as is |
//! | `gzip`, `gzip, deflate, br`, `gzip;q=0.5` | gzip | gzip |
//! | `GZIP`, `x-gzip` | gzip | as is, gzip |
//! | `gzip;q=0`, `*, gzip;q=0`, `*;q=0` | as is | gzip, gzip, as is |
//! | `*` | gzip | as is |
//! | `identity, gzip;q=0.5` (identity preferred) | as is | gzip |
//! | `identity;q=0.5, gzip`, `identity, gzip` (tie) | gzip | gzip |
//!
//! An absent header gets no compression: RFC 9110 would allow any coding,
//! but clients that send none (curl without `--compressed`, scripts) expect
//! the body as is. An explicit `identity` entry competes with the codings:
//! when its weight is higher, the body is sent as is; on a tie, compression
//! wins.
//!
//! Also better than Starlette:
//! - a response with `Cache-Control: no-transform` ([RFC 9111 §5.2.2.6])
//!   is never compressed;
//! - a compressed response's strong [`ETag`] is made weak (`"v1"` becomes
//!   `W/"v1"`): the compressed bytes are not the identity bytes, so they
//!   must not share a strong validator ([RFC 9110 §8.8.1]);
//! - 204 and 304 responses are never touched, whatever `minimum_size`;
//! - a small body stays small behind a function middleware: Starlette's
//!   `@app.middleware("http")` re-streams every response, so its GZip
//!   compresses even a 2-byte body there; here a middleware that leaves
//!   the bytes alone keeps the body's exact size, and `minimum_size`
//!   holds;
//! - `Vary: Accept-Encoding` is merged without duplicates (Starlette
//!   appends to what is there);
//! - [`Compression`] offers `br` and `zstd` as well.
//!
//! One corner follows Starlette less closely: a stream that yields nothing
//! at all is still sent compressed (20 bytes of empty gzip), where
//! Starlette, which sees a single empty message, leaves it alone.
//!
//! # Compression: choosing among gzip, br and zstd
//!
//! [`Compression`] applies the same rules and picks the coding with the
//! highest weight among those the client accepts. **On a tie, the server
//! prefers `zstd`, then `br`, then `gzip`**: zstd compresses fastest at a
//! size close to brotli's, brotli next, gzip is the universal fallback.
//! A browser sending `gzip, deflate, br, zstd` gets zstd; one sending
//! `gzip, deflate, br` gets br.
//!
//! ```
//! use sluice::middleware::Compression;
//! use sluice::testing::TestClient;
//! use sluice::App;
//!
//! # #[cfg(not(all(feature = "br", feature = "zstd")))] fn main() {}
//! # #[cfg(all(feature = "br", feature = "zstd"))]
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = App::new()
//!     .get("/", || async { "x".repeat(4000) })
//!     .add_middleware(Compression::new());
//! let client = TestClient::new(app);
//!
//! let res = client.get("/").header("accept-encoding", "gzip, deflate, br, zstd").await;
//! assert_eq!(res.header("content-encoding"), Some("zstd"));
//! let res = client.get("/").header("accept-encoding", "gzip, br;q=0.8").await;
//! assert_eq!(res.header("content-encoding"), Some("gzip"));
//! # }
//! ```
//!
//! # Where to put it
//!
//! Add it after (outside of) any middleware that reads or rewrites response
//! bodies, so that they see the uncompressed body; middleware that only
//! sets headers can go either side.
//!
//! [`Content-Encoding`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Encoding
//! [`Cache-Control: no-transform`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cache-Control#no-transform
//! [`Vary: Accept-Encoding`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Vary
//! [`ETag`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/ETag
//! [RFC 9110 §9.3.2]: https://www.rfc-editor.org/rfc/rfc9110#section-9.3.2
//! [RFC 9110 §12.5.3]: https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3
//! [RFC 9110 §8.8.1]: https://www.rfc-editor.org/rfc/rfc9110#section-8.8.1
//! [RFC 9111 §5.2.2.6]: https://www.rfc-editor.org/rfc/rfc9111#section-5.2.2.6

mod accept_encoding;
mod body;
mod encoder;
mod gzip;
mod negotiated;
mod rules;
#[cfg(test)]
mod tests;

pub use gzip::GZip;
pub use negotiated::Compression;
pub use rules::DEFAULT_EXCLUDED_CONTENT_TYPES;
