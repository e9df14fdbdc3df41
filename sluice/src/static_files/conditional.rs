//! Conditional requests as Starlette 1.10's `StaticFiles` answers them:
//! `If-None-Match`, then `If-Modified-Since`, and `If-Range`.

use super::text;

/// The request headers that make a request conditional or partial, read
/// as Latin-1 (the first line of each, as Starlette reads them).
#[derive(Debug, Default, Clone)]
pub(super) struct Conditions {
    pub(super) if_none_match: Option<String>,
    pub(super) if_modified_since: Option<String>,
    pub(super) range: Option<String>,
    pub(super) if_range: Option<String>,
}

/// Whether a `304 Not Modified` answers the request, given the file's
/// `etag` and `last-modified` values.
///
/// - A non-empty `If-None-Match` decides alone: `*`, or one of its tags
///   equal to the etag once `W/` is dropped (the weak comparison of
///   [RFC 9110 §13.1.2](https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2)).
/// - Otherwise `If-Modified-Since`: 304 when its date is not earlier than
///   the file's. A date that cannot be read is ignored.
pub(super) fn is_not_modified(conditions: &Conditions, etag: &str, last_modified: &str) -> bool {
    if let Some(tags) = conditions
        .if_none_match
        .as_deref()
        .filter(|t| !t.is_empty())
    {
        if text::strip(tags) == "*" {
            return true;
        }
        return tags.split(',').any(|tag| {
            let tag = text::strip(tag);
            tag.strip_prefix("W/").unwrap_or(tag) == etag
        });
    }
    let Some(since) = conditions.if_modified_since.as_deref() else {
        return false;
    };
    match (parse_date(since), parse_date(last_modified)) {
        (Some(since), Some(modified)) => since >= modified,
        _ => false,
    }
}

/// Whether `If-Range` lets a `Range` through: it must equal the strong
/// etag or the `last-modified` date exactly; a weak etag never does.
pub(super) fn if_range_holds(if_range: &str, etag: &str, last_modified: &str) -> bool {
    !if_range.starts_with("W/") && (if_range == last_modified || if_range == etag)
}

const MONTHS: [&str; 24] = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A date as Python's `email.utils.parsedate` reads it, which is how
/// Starlette compares `If-Modified-Since`: year, month, day, hour, minute,
/// second, in that order of importance. It is lenient (RFC 1123, RFC 850
/// and asctime forms, two-digit years, a missing weekday or seconds) and
/// ignores the time zone; fields are not range-checked.
pub(super) fn parse_date(data: &str) -> Option<[i128; 6]> {
    let mut words: Vec<&str> = data
        .split(text::is_space)
        .filter(|w| !w.is_empty())
        .collect();
    let first = *words.first()?;
    if first.ends_with(',') || DAYS.contains(&first.to_ascii_lowercase().as_str()) {
        words.remove(0);
    } else if let Some(comma) = first.rfind(',') {
        words[0] = &first[comma + 1..];
    }
    if words.len() == 3 {
        let parts: Vec<&str> = words[0].split('-').collect();
        if parts.len() == 3 {
            words.splice(0..1, parts);
        }
    }
    if words.len() == 4 {
        let last = words[3];
        let sign = last.find('+').or_else(|| last.find('-'));
        match sign {
            Some(i) if i > 0 => {
                words.splice(3..4, [&last[..i], &last[i..]]);
            }
            _ => words.push(""),
        }
    }
    if words.len() < 5 {
        return None;
    }
    let [mut dd, mm, mut yy, mut tm, mut tz] = [words[0], words[1], words[2], words[3], words[4]];
    if dd.is_empty() || mm.is_empty() || yy.is_empty() {
        return None;
    }
    let mut month_name = mm.to_ascii_lowercase();
    let mut day_name = dd.to_owned();
    if !MONTHS.contains(&month_name.as_str()) {
        day_name = month_name;
        month_name = dd.to_ascii_lowercase();
        if !MONTHS.contains(&month_name.as_str()) {
            return None;
        }
    }
    dd = &day_name;
    let index = MONTHS.iter().position(|m| *m == month_name)? as i128 + 1;
    let month = if index > 12 { index - 12 } else { index };
    dd = dd.strip_suffix(',').unwrap_or(dd);
    if yy.find(':').is_some_and(|i| i > 0) {
        std::mem::swap(&mut yy, &mut tm);
    }
    if let Some(stripped) = yy.strip_suffix(',') {
        yy = stripped;
        if yy.is_empty() {
            return None;
        }
    }
    if !yy.chars().next().is_some_and(text::is_digit) {
        std::mem::swap(&mut yy, &mut tz);
    }
    let _ = tz;
    tm = tm.strip_suffix(',').unwrap_or(tm);
    let clock: Vec<&str> = tm.split(':').collect();
    let (hour, minute, second) = match clock.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        [one] if one.contains('.') => match one.split('.').collect::<Vec<_>>().as_slice() {
            [h, m] => (*h, *m, "0"),
            [h, m, s] => (*h, *m, *s),
            _ => return None,
        },
        _ => return None,
    };
    let mut year = text::int(yy)?;
    let day = text::int(dd)?;
    let (hour, minute, second) = (text::int(hour)?, text::int(minute)?, text::int(second)?);
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    Some([year, month, day, hour, minute, second])
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW_YEAR: [i128; 6] = [2026, 1, 1, 0, 0, 0];

    #[test]
    fn the_three_http_date_forms() {
        assert_eq!(parse_date("Thu, 01 Jan 2026 00:00:00 GMT"), Some(NEW_YEAR));
        assert_eq!(
            parse_date("Thursday, 01-Jan-26 00:00:00 GMT"),
            Some(NEW_YEAR)
        );
        assert_eq!(parse_date("Thu Jan  1 00:00:00 2026"), Some(NEW_YEAR));
    }

    #[test]
    fn lenient_forms_python_accepts() {
        assert_eq!(parse_date("01 Jan 2026 00:00 +0500"), Some(NEW_YEAR));
        assert_eq!(parse_date("Thu,01 January 2026 00.00.00"), Some(NEW_YEAR));
        assert_eq!(parse_date("Fri, 01 Jan 2026 00:00:00 EST"), Some(NEW_YEAR));
        assert_eq!(
            parse_date("Thu, 01 Jan 2026 25:61:99 GMT"),
            Some([2026, 1, 1, 25, 61, 99])
        );
        assert_eq!(
            parse_date("Thu, 01 Jan 69 00:00:00 GMT").map(|d| d[0]),
            Some(1969)
        );
    }

    #[test]
    fn unreadable_dates() {
        for bad in [
            "",
            "   ",
            "yesterday",
            "Thu, 01 Foo 2026 00:00:00 GMT",
            "Thu, 01 Jan 2026",
            "Thu, 01 Jan 2026 0:0:0:0 GMT",
            "Thu, xx Jan 2026 00:00:00 GMT",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn if_none_match_decides_alone() {
        let etag = "\"abc\"";
        let date = "Thu, 01 Jan 2026 00:00:00 GMT";
        let mut c = Conditions {
            if_none_match: Some("\"other\"".into()),
            if_modified_since: Some(date.into()),
            ..Conditions::default()
        };
        assert!(!is_not_modified(&c, etag, date));
        c.if_none_match = Some("\"x\", W/\"abc\"".into());
        assert!(is_not_modified(&c, etag, date));
        c.if_none_match = Some(" * ".into());
        assert!(is_not_modified(&c, etag, date));
        c.if_none_match = Some(String::new());
        assert!(
            is_not_modified(&c, etag, date),
            "an empty If-None-Match leaves it to the date"
        );
        c.if_modified_since = Some("Wed, 31 Dec 2025 23:59:59 GMT".into());
        assert!(!is_not_modified(&c, etag, date));
        c.if_modified_since = Some("not a date".into());
        assert!(!is_not_modified(&c, etag, date));
    }

    #[test]
    fn if_range_needs_an_exact_strong_match() {
        let (etag, date) = ("\"abc\"", "Thu, 01 Jan 2026 00:00:00 GMT");
        assert!(if_range_holds(etag, etag, date));
        assert!(if_range_holds(date, etag, date));
        assert!(!if_range_holds("W/\"abc\"", etag, date));
        assert!(!if_range_holds("\"abd\"", etag, date));
        assert!(!if_range_holds("Thu, 01 Jan 2026 00:00:01 GMT", etag, date));
    }
}
