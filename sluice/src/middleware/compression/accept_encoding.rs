//! [`Accept-Encoding`] parsing and content-coding negotiation, per
//! [RFC 9110 §12.5.3].
//!
//! [`Accept-Encoding`]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Accept-Encoding
//! [RFC 9110 §12.5.3]: https://www.rfc-editor.org/rfc/rfc9110#section-12.5.3

use http::header::{HeaderMap, ACCEPT_ENCODING};

use super::encoder::{Codec, Coding};
use crate::hook::{Slot, Stash};

/// A weight ("q-value") in thousandths: `0` means "not acceptable", `1000`
/// is `q=1`, the default when no weight is given. RFC 9110 allows at most
/// three decimals, so thousandths are exact.
pub(crate) type Weight = u16;

const FULL: Weight = 1000;

/// What a request's `Accept-Encoding` says about the codings sluice can
/// produce: the weight of each, when it is listed.
///
/// Parsing allocates nothing and never fails: elements that cannot be
/// understood are skipped, and a weight that is not a valid q-value makes
/// its element "not acceptable" (identity is always a safe answer).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcceptEncoding {
    gzip: Option<Weight>,
    br: Option<Weight>,
    zstd: Option<Weight>,
    identity: Option<Weight>,
    any: Option<Weight>,
}

impl AcceptEncoding {
    /// Reads every `Accept-Encoding` line of `headers` (several lines are
    /// one comma-separated list, RFC 9110 §5.3).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut accept = AcceptEncoding::default();
        for line in headers.get_all(ACCEPT_ENCODING) {
            accept.add_line(line.as_bytes());
        }
        accept
    }

    /// Keeps the request's `Accept-Encoding` for later: most responses
    /// never need it parsed (they are too small to compress), so a single
    /// line is kept as a reference-counted copy and parsed on demand.
    pub(crate) fn defer(headers: &HeaderMap) -> Deferred {
        let mut lines = headers.get_all(ACCEPT_ENCODING).iter();
        match (lines.next(), lines.next()) {
            (None, _) => Deferred::Parsed(AcceptEncoding::default()),
            (Some(line), None) => Deferred::Line(line.clone()),
            (Some(_), Some(_)) => Deferred::Parsed(AcceptEncoding::from_headers(headers)),
        }
    }

    /// Parses one header line.
    #[cfg(test)]
    pub(crate) fn parse(line: &str) -> Self {
        let mut accept = AcceptEncoding::default();
        accept.add_line(line.as_bytes());
        accept
    }

    fn add_line(&mut self, line: &[u8]) {
        for element in line.split(|&b| b == b',') {
            let mut parts = element.split(|&b| b == b';');
            let coding = trim(parts.next().unwrap_or_default());
            let slot =
                if coding.eq_ignore_ascii_case(b"gzip") || coding.eq_ignore_ascii_case(b"x-gzip") {
                    // RFC 9110 §8.4.1.3: "x-gzip" is equivalent to "gzip".
                    &mut self.gzip
                } else if coding.eq_ignore_ascii_case(b"br") {
                    &mut self.br
                } else if coding.eq_ignore_ascii_case(b"zstd") {
                    &mut self.zstd
                } else if coding.eq_ignore_ascii_case(b"identity") {
                    &mut self.identity
                } else if coding == b"*" {
                    &mut self.any
                } else {
                    continue; // a coding sluice does not produce, or garbage
                };
            let mut weight = FULL;
            for param in parts {
                let param = trim(param);
                let Some(eq) = param.iter().position(|&b| b == b'=') else {
                    continue;
                };
                if trim(&param[..eq]).eq_ignore_ascii_case(b"q") {
                    weight = parse_qvalue(trim(&param[eq + 1..])).unwrap_or(0);
                }
            }
            // Listed twice: the lower weight counts, so a refusal wins.
            *slot = Some(slot.map_or(weight, |before| before.min(weight)));
        }
    }

    /// The weight the client gives `coding`: its own entry, else the `*`
    /// entry, else 0 (not acceptable).
    pub(crate) fn weight(&self, coding: Coding) -> Weight {
        let listed = match coding {
            Coding::Gzip => self.gzip,
            #[cfg(feature = "br")]
            Coding::Br => self.br,
            #[cfg(feature = "zstd")]
            Coding::Zstd => self.zstd,
        };
        listed.or(self.any).unwrap_or(0)
    }

    /// The codec to use among `offered` (listed in the server's order of
    /// preference), or `None` for no coding (identity).
    ///
    /// The acceptable coding (weight above 0) with the highest weight wins;
    /// on a tie, the one listed first in `offered`. An explicit `identity`
    /// entry with a weight above the winner's means the client prefers the
    /// body as is. An absent header offers nothing: clients that do not
    /// ask for compression (curl without `--compressed`) do not get it.
    pub(crate) fn negotiate(&self, offered: &[Codec]) -> Option<Codec> {
        let mut best: Option<(Codec, Weight)> = None;
        for &codec in offered {
            let weight = self.weight(codec.coding);
            if weight > 0 && best.is_none_or(|(_, top)| weight > top) {
                best = Some((codec, weight));
            }
        }
        let (codec, weight) = best?;
        match self.identity {
            Some(identity) if identity > weight => None,
            _ => Some(codec),
        }
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in
/// thousandths; `None` for anything else.
fn parse_qvalue(value: &[u8]) -> Option<Weight> {
    let (&first, rest) = value.split_first()?;
    let decimals = match rest {
        [] => &[][..],
        [b'.', decimals @ ..] if decimals.len() <= 3 => decimals,
        _ => return None,
    };
    if !decimals.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match first {
        b'0' => {
            let mut thousandths: Weight = 0;
            for position in 0..3 {
                let digit = decimals.get(position).map_or(0, |d| Weight::from(d - b'0'));
                thousandths = thousandths * 10 + digit;
            }
            Some(thousandths)
        }
        b'1' if decimals.iter().all(|&d| d == b'0') => Some(FULL),
        _ => None,
    }
}

/// Strips optional whitespace (`OWS`: spaces and tabs) from both ends.
fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

/// A request's `Accept-Encoding`, parsed only when needed; see
/// [`AcceptEncoding::defer`].
#[derive(Debug)]
pub(crate) enum Deferred {
    Line(http::HeaderValue),
    Parsed(AcceptEncoding),
}

impl Stash for Deferred {
    fn stash(self) -> Slot {
        match self {
            Deferred::Line(line) => Slot::Tagged(0, Some(line)),
            // No header at all: the common case, kept without a box.
            Deferred::Parsed(accept) if accept == AcceptEncoding::default() => {
                Slot::Tagged(1, None)
            }
            Deferred::Parsed(accept) => Slot::Other(Box::new(accept)),
        }
    }

    fn unstash(slot: Slot) -> Option<Self> {
        match slot {
            Slot::Tagged(0, Some(line)) => Some(Deferred::Line(line)),
            Slot::Tagged(1, None) => Some(Deferred::Parsed(AcceptEncoding::default())),
            other => other.take_other().map(Deferred::Parsed),
        }
    }
}

impl Deferred {
    /// The parsed header.
    pub(crate) fn parse(self) -> AcceptEncoding {
        match self {
            Deferred::Line(line) => {
                let mut accept = AcceptEncoding::default();
                accept.add_line(line.as_bytes());
                accept
            }
            Deferred::Parsed(accept) => accept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GZIP_ONLY: &[Codec] = &[codec(Coding::Gzip)];

    const fn codec(coding: Coding) -> Codec {
        Codec { coding, level: 1 }
    }

    fn gzip(line: &str) -> Option<Coding> {
        AcceptEncoding::parse(line)
            .negotiate(GZIP_ONLY)
            .map(|codec| codec.coding)
    }

    #[test]
    fn qvalues_follow_the_rfc_grammar() {
        assert_eq!(parse_qvalue(b"1"), Some(1000));
        assert_eq!(parse_qvalue(b"1."), Some(1000));
        assert_eq!(parse_qvalue(b"1.000"), Some(1000));
        assert_eq!(parse_qvalue(b"0"), Some(0));
        assert_eq!(parse_qvalue(b"0.5"), Some(500));
        assert_eq!(parse_qvalue(b"0.05"), Some(50));
        assert_eq!(parse_qvalue(b"0.001"), Some(1));
        assert_eq!(parse_qvalue(b"0.000"), Some(0));
        for bad in [
            &b""[..],
            b"1.5",
            b"1.0001",
            b"0.1234",
            b"2",
            b"-1",
            b".5",
            b"0,5",
            b"abc",
            b"\"0.5\"",
            b"0.5x",
            b"1e-3",
        ] {
            assert_eq!(
                parse_qvalue(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn plain_gzip_is_accepted() {
        assert_eq!(gzip("gzip"), Some(Coding::Gzip));
        assert_eq!(gzip("gzip, deflate, br"), Some(Coding::Gzip));
        assert_eq!(gzip("deflate, gzip;q=0.1"), Some(Coding::Gzip));
    }

    #[test]
    fn codings_are_case_insensitive() {
        assert_eq!(gzip("GZIP"), Some(Coding::Gzip));
        assert_eq!(gzip("GZip;Q=0.5"), Some(Coding::Gzip));
        assert_eq!(gzip("gzip;Q=0"), None);
        assert_eq!(gzip("X-GZIP"), Some(Coding::Gzip));
    }

    #[test]
    fn zero_weight_means_not_acceptable() {
        assert_eq!(gzip("gzip;q=0"), None);
        assert_eq!(gzip("gzip; q=0.000"), None);
        assert_eq!(gzip("deflate, gzip;q=0"), None);
        assert_eq!(gzip("*, gzip;q=0"), None);
        assert_eq!(gzip("gzip;q=0, gzip"), None, "a refusal wins over a repeat");
    }

    #[test]
    fn whitespace_is_optional_everywhere() {
        assert_eq!(gzip("  gzip  "), Some(Coding::Gzip));
        assert_eq!(gzip("\tgzip\t;\tq=0.5 , br"), Some(Coding::Gzip));
        assert_eq!(gzip("gzip ; q = 0"), None);
        assert_eq!(gzip("br,gzip;q=1.0"), Some(Coding::Gzip));
    }

    #[test]
    fn the_wildcard_stands_for_unlisted_codings() {
        assert_eq!(gzip("*"), Some(Coding::Gzip));
        assert_eq!(gzip("*;q=0.2"), Some(Coding::Gzip));
        assert_eq!(gzip("*;q=0"), None);
        assert_eq!(gzip("gzip;q=0.5, *;q=0"), Some(Coding::Gzip));
    }

    #[test]
    fn other_codings_do_not_count() {
        assert_eq!(gzip(""), None);
        assert_eq!(gzip("deflate"), None);
        assert_eq!(gzip("identity"), None);
        assert_eq!(gzip("gzipx, xgzip, gzip2"), None);
        assert_eq!(gzip("compress, deflate;q=1"), None);
    }

    #[test]
    fn identity_preferred_over_gzip_is_respected() {
        assert_eq!(gzip("identity, gzip;q=0.5"), None);
        assert_eq!(gzip("identity;q=0.5, gzip"), Some(Coding::Gzip));
        assert_eq!(
            gzip("identity, gzip"),
            Some(Coding::Gzip),
            "a tie goes to compression"
        );
        assert_eq!(gzip("identity;q=0, gzip;q=0.1"), Some(Coding::Gzip));
    }

    #[test]
    fn malformed_weights_make_the_element_unacceptable() {
        assert_eq!(gzip("gzip;q=abc"), None);
        assert_eq!(gzip("gzip;q="), None);
        assert_eq!(gzip("gzip;q=2"), None);
        assert_eq!(gzip("gzip;q=0.5;level=9"), Some(Coding::Gzip));
        assert_eq!(
            gzip("gzip;level"),
            Some(Coding::Gzip),
            "unknown parameters are ignored"
        );
    }

    #[test]
    fn several_header_lines_form_one_list() {
        let mut headers = HeaderMap::new();
        headers.append(ACCEPT_ENCODING, "deflate".parse().expect("valid"));
        headers.append(ACCEPT_ENCODING, "gzip;q=0.3".parse().expect("valid"));
        let accept = AcceptEncoding::from_headers(&headers);
        assert_eq!(accept.weight(Coding::Gzip), 300);
        assert_eq!(accept.negotiate(GZIP_ONLY), Some(codec(Coding::Gzip)));
        assert_eq!(
            AcceptEncoding::from_headers(&HeaderMap::new()).negotiate(GZIP_ONLY),
            None
        );
    }

    #[cfg(all(feature = "br", feature = "zstd"))]
    #[test]
    fn highest_weight_wins_and_ties_go_to_the_server_order() {
        let order = [Coding::Zstd, Coding::Br, Coding::Gzip].map(codec);
        let pick = |line: &str| {
            AcceptEncoding::parse(line)
                .negotiate(&order)
                .map(|codec| codec.coding)
        };
        assert_eq!(pick("gzip, deflate, br, zstd"), Some(Coding::Zstd));
        assert_eq!(pick("gzip, br"), Some(Coding::Br));
        assert_eq!(pick("gzip;q=1, br;q=0.9, zstd;q=0.8"), Some(Coding::Gzip));
        assert_eq!(pick("br;q=0.5, zstd;q=0"), Some(Coding::Br));
        assert_eq!(pick("*"), Some(Coding::Zstd));
        assert_eq!(pick("*;q=0.5, gzip"), Some(Coding::Gzip));
        assert_eq!(pick("zstd;q=0, *"), Some(Coding::Br));
        assert_eq!(pick("BR;Q=1, ZSTD;Q=0.999"), Some(Coding::Br));
        assert_eq!(pick("identity;q=1, br;q=0.9"), None);
        assert_eq!(pick("deflate"), None);
    }

    #[test]
    fn malformed_input_never_panics() {
        let samples: &[&[u8]] = &[
            b",,,;;;,",
            b";q=1",
            b"gzip;;;q=1;;",
            b"gzip;=;q",
            b"gzip;q==1",
            b"gzip;q=0.",
            b"*;q=0.9999999999999999999",
            b"\xff\xfe gzip \x80",
            b"gzip\x00;q=1",
            b"==,==",
            b"q=0",
            b"gzip;q=1.",
            b"   ",
            b"\t",
        ];
        for sample in samples {
            let mut accept = AcceptEncoding::default();
            accept.add_line(sample);
            let _ = accept.negotiate(GZIP_ONLY);
        }
        // Every byte sequence up to length 3 over an alphabet that matters.
        let alphabet = b"gz*;q=0.1, \t\xff";
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    let mut accept = AcceptEncoding::default();
                    accept.add_line(&[*a, *b, *c]);
                    let _ = accept.negotiate(GZIP_ONLY);
                }
            }
        }
    }
}
