//! RFC 3339 timestamps without a date-time crate.
//!
//! Provider times arrive as RFC 3339 strings with anywhere from 0 to 9 fractional digits
//! (Cloudflare sends nanoseconds, FastPix milliseconds). Ordering needs them as one integer, so
//! they are parsed to nanoseconds since the Unix epoch (`i64` covers 1677..2262). Formatting goes
//! the other way and always prints UTC with `Z`, trimming the fraction to 0, 3, 6 or 9 digits.
//! Pure: the clock is read by the shell and passed in as milliseconds.

/// Nanoseconds since 1970-01-01T00:00:00Z.
pub type Nanos = i64;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Milliseconds (as the runtime clock gives them) to nanoseconds.
pub fn millis_to_nanos(ms: u64) -> Nanos {
    i64::try_from(ms).unwrap_or(i64::MAX / 1_000_000) * 1_000_000
}

/// Nanoseconds to milliseconds (0 before the epoch).
pub fn nanos_to_millis(ns: Nanos) -> u64 {
    u64::try_from(ns / 1_000_000).unwrap_or(0)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. `t`/`z` and a space separator are
/// accepted as RFC 3339 allows. Returns `None` for anything else, including out-of-range fields.
pub fn parse_rfc3339(s: &str) -> Option<Nanos> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let year = digits(b, 0, 4)?;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // 60 is a leap second; it is folded into the next second's start like most libraries do.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                frac = frac * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            frac *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let oh = digits(b, i + 1, 2)?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(frac)
}

/// Milliseconds since the epoch, formatted as [`format_rfc3339`] does.
pub fn format_rfc3339_ms(ms: u64) -> String {
    format_rfc3339(millis_to_nanos(ms))
}

/// Formats as `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`.
pub fn format_rfc3339(ns: Nanos) -> String {
    let secs = ns.div_euclid(NANOS_PER_SEC);
    let frac = ns.rem_euclid(NANOS_PER_SEC);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    );
    if frac != 0 {
        if frac % 1_000_000 == 0 {
            out.push_str(&format!(".{:03}", frac / 1_000_000));
        } else if frac % 1_000 == 0 {
            out.push_str(&format!(".{:06}", frac / 1_000));
        } else {
            out.push_str(&format!(".{frac:09}"));
        }
    }
    out.push('Z');
    out
}

/// Parses an HTTP date in the IMF-fixdate form (`Wed, 21 Oct 2015 07:28:00 GMT`, as in
/// `Retry-After`) to seconds since the epoch.
pub fn parse_http_date(s: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = s.split_ascii_whitespace();
    let (_weekday, day, month, year, hms, zone) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if zone != "GMT" || parts.next().is_some() || day.len() != 2 || year.len() != 4 {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (y, d) = (
        digits(year.as_bytes(), 0, 4)?,
        digits(day.as_bytes(), 0, 2)?,
    );
    let (h, mi, se) = (digits(b, 0, 2)?, digits(b, 3, 2)?, digits(b, 6, 2)?);
    if d < 1 || d > days_in_month(y, month) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let secs = days_from_civil(y, month, d) * 86_400 + h * 3600 + mi * 60 + se;
    u64::try_from(secs).ok()
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let slice = b.get(at..at + n)?;
    slice.iter().try_fold(0i64, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (public-domain algorithms).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_precisions_providers_send() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("2022-01-13T11:43:41.855717910Z", 1_642_074_221_855_717_910),
            ("2023-12-06T09:12:28.808Z", 1_701_853_948_808_000_000),
            ("2023-12-06T10:12:28.808+01:00", 1_701_853_948_808_000_000),
            ("2023-12-06t09:12:28.8z", 1_701_853_948_800_000_000),
            ("2024-02-29T00:00:00Z", 1_709_164_800_000_000_000),
            ("1969-12-31T23:59:59.5Z", -500_000_000),
            // More than nine fractional digits: the extra precision is dropped.
            ("2022-01-13T11:43:41.8557179109Z", 1_642_074_221_855_717_910),
        ];
        for (s, want) in cases {
            assert_eq!(parse_rfc3339(s), Some(want), "{s}");
        }
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for s in [
            "",
            "2022-01-13",
            "2022-01-13T11:43:41",
            "2022-13-13T11:43:41Z",
            "2023-02-29T00:00:00Z",
            "2022-01-13T24:00:00Z",
            "2022-01-13T11:43:41.Z",
            "2022-01-13T11:43:41ZZ",
            "2022-01-13T11:43:41+0100",
            "2022/01/13T11:43:41Z",
            "２０２２-01-13T11:43:41Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn formats_with_the_shortest_exact_fraction() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (1_642_074_221_855_717_910, "2022-01-13T11:43:41.855717910Z"),
            (1_701_853_948_808_000_000, "2023-12-06T09:12:28.808Z"),
            (1_701_853_948_808_001_000, "2023-12-06T09:12:28.808001Z"),
            (-500_000_000, "1969-12-31T23:59:59.500Z"),
        ];
        for (ns, want) in cases {
            assert_eq!(format_rfc3339(ns), want);
        }
    }

    #[test]
    fn format_then_parse_round_trips() {
        for ns in [0, 1, 999, 86_399_999_999_999, 1_720_548_471_077_371_662] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ns)), Some(ns));
        }
    }

    #[test]
    fn millis_convert_to_nanos() {
        assert_eq!(
            millis_to_nanos(1_700_000_000_123),
            1_700_000_000_123_000_000
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(1_445_412_480)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        for bad in [
            "Wed, 21 Oct 2015 07:28:00 UTC",
            "Wed, 21 Foo 2015 07:28:00 GMT",
            "Wed, 32 Oct 2015 07:28:00 GMT",
            "Wed, 21 Oct 2015 7:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
