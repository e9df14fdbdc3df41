//! `Range: bytes=...` as Starlette 1.10's `FileResponse` reads it, and the
//! `multipart/byteranges` body for several ranges.

use super::text;

/// More ranges than this in one header get the whole file (200), as in
/// Starlette: answering thousands of tiny parts costs far more than the
/// file.
pub(super) const MAX_RANGES: usize = 100;

/// What a `Range` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ranges {
    /// Ignore it and send the whole file (more than [`MAX_RANGES`]).
    Whole,
    /// Half-open byte ranges `[start, end)`, sorted and merged when there
    /// are several; never empty.
    Parts(Vec<(u64, u64)>),
    /// `416 Range Not Satisfiable`: a range starts at or past the end.
    Unsatisfiable,
    /// `400 Bad Request`, with the reason.
    Malformed(&'static str),
}

/// Reads `header` (the whole `Range` value) for a file of `size` bytes.
///
/// - `bytes=a-b`, `bytes=a-` and the suffix form `bytes=-n`; a unit other
///   than `bytes` (case-insensitive), or no `=`, is malformed.
/// - Parts that are empty or not numbers are skipped; when none is left,
///   the header is malformed. An end past the file is the file's end.
/// - Any start at or past the end is unsatisfiable (so is `bytes=-0`, and
///   any range of an empty file); then a start after its end is malformed.
/// - Several ranges are sorted, and overlapping or adjacent ones merged.
pub(super) fn parse(header: &str, size: u64) -> Ranges {
    let Some((unit, spec)) = header.split_once('=') else {
        return Ranges::Malformed("the Range header has no '='");
    };
    if !text::strip(unit).eq_ignore_ascii_case("bytes") {
        return Ranges::Malformed("only byte ranges are supported");
    }
    if spec.matches(',').count() + 1 > MAX_RANGES {
        return Ranges::Whole;
    }
    let size_i = i128::from(size);
    let mut ranges: Vec<(i128, i128)> = Vec::new();
    for part in spec.split(',') {
        let part = text::strip(part);
        if part.is_empty() || part == "-" {
            continue;
        }
        let Some((first, last)) = part.split_once('-') else {
            continue;
        };
        let (first, last) = (text::strip(first), text::strip(last));
        let range = if first.is_empty() {
            text::int(last).map(|n| ((size_i.saturating_sub(n)).max(0), size_i))
        } else {
            text::int(first).and_then(|start| {
                if last.is_empty() {
                    Some((start, size_i))
                } else {
                    text::int(last).map(|end| {
                        (
                            start,
                            if end < size_i {
                                end.saturating_add(1)
                            } else {
                                size_i
                            },
                        )
                    })
                }
            })
        };
        if let Some(range) = range {
            ranges.push(range);
        }
    }
    if ranges.is_empty() {
        return Ranges::Malformed("the Range header asks for no range");
    }
    if ranges
        .iter()
        .any(|&(start, _)| !(0..size_i).contains(&start))
    {
        return Ranges::Unsatisfiable;
    }
    if ranges.iter().any(|&(start, end)| start >= end) {
        return Ranges::Malformed("a range ends before it starts");
    }
    // Every bound is now within 0..=size.
    let mut ranges: Vec<(u64, u64)> = ranges
        .into_iter()
        .map(|(start, end)| (start as u64, end as u64))
        .collect();
    if ranges.len() > 1 {
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        ranges = merged;
    }
    Ranges::Parts(ranges)
}

/// The head of one part of a `multipart/byteranges` body.
pub(super) fn part_head(
    boundary: &str,
    content_type: &str,
    (start, end): (u64, u64),
    size: u64,
) -> String {
    format!(
        "--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {start}-{}/{size}\r\n\r\n",
        end - 1
    )
}

/// The end of a `multipart/byteranges` body.
pub(super) fn closing(boundary: &str) -> String {
    format!("--{boundary}--")
}

/// The length of the whole `multipart/byteranges` body: each part's head,
/// its bytes and the CRLF after them, then the closing boundary.
pub(super) fn multipart_len(
    boundary: &str,
    content_type: &str,
    ranges: &[(u64, u64)],
    size: u64,
) -> u64 {
    let parts: u64 = ranges
        .iter()
        .map(|&range| {
            part_head(boundary, content_type, range, size).len() as u64 + (range.1 - range.0) + 2
        })
        .sum();
    parts + closing(boundary).len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(header: &str, size: u64) -> Vec<(u64, u64)> {
        match parse(header, size) {
            Ranges::Parts(parts) => parts,
            other => panic!("{header:?}: {other:?}"),
        }
    }

    #[test]
    fn single_and_suffix_ranges() {
        assert_eq!(parts("bytes=0-4", 10), [(0, 5)]);
        assert_eq!(parts("bytes=5-", 10), [(5, 10)]);
        assert_eq!(parts("bytes=-3", 10), [(7, 10)]);
        assert_eq!(parts("bytes=-30", 10), [(0, 10)]);
        assert_eq!(parts("bytes=8-100", 10), [(8, 10)]);
        assert_eq!(parts(" BYTES = 1-1 ", 10), [(1, 2)]);
        assert_eq!(parts("bytes=+1-1_0", 20), [(1, 11)]);
    }

    #[test]
    fn several_ranges_are_sorted_and_merged() {
        assert_eq!(parts("bytes=6-7,0-1", 10), [(0, 2), (6, 8)]);
        assert_eq!(parts("bytes=0-4,5-9", 10), [(0, 10)], "adjacent");
        assert_eq!(parts("bytes=0-5,2-3", 10), [(0, 6)], "inside");
        assert_eq!(
            parts("bytes=0-1,x,,-,3-4", 10),
            [(0, 2), (3, 5)],
            "junk parts skipped"
        );
    }

    #[test]
    fn unsatisfiable_and_malformed() {
        assert_eq!(parse("bytes=10-", 10), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 10), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=0-1,20-30", 10), Ranges::Unsatisfiable);
        assert_eq!(parse("bytes=0-0", 0), Ranges::Unsatisfiable);
        assert!(matches!(parse("bytes", 10), Ranges::Malformed(_)));
        assert!(matches!(parse("items=0-1", 10), Ranges::Malformed(_)));
        assert!(matches!(parse("bytes=", 10), Ranges::Malformed(_)));
        assert!(matches!(parse("bytes=a-b", 10), Ranges::Malformed(_)));
        assert!(matches!(parse("bytes=5-3", 10), Ranges::Malformed(_)));
        assert!(matches!(parse("bytes=5--3", 10), Ranges::Malformed(_)));
    }

    #[test]
    fn more_than_a_hundred_ranges_mean_the_whole_file() {
        let many = vec!["0-0"; 101].join(",");
        assert_eq!(parse(&format!("bytes={many}"), 10), Ranges::Whole);
        let hundred = vec!["0-0"; 100].join(",");
        assert_eq!(parts(&format!("bytes={hundred}"), 10), [(0, 1)]);
    }

    #[test]
    fn multipart_length_counts_every_byte() {
        let ranges = [(0, 2), (6, 8)];
        let body: String = ranges
            .iter()
            .map(|&r| format!("{}xx\r\n", part_head("b0undary", "text/plain", r, 10)))
            .collect::<String>()
            + &closing("b0undary");
        assert_eq!(
            multipart_len("b0undary", "text/plain", &ranges, 10),
            body.len() as u64
        );
    }
}
