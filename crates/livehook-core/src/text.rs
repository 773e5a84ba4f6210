//! String utilities every other module may use (this module uses none of them).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Reads JSON text. Everything livehook reads (webhook bodies, storage, KV, internal calls) goes
/// through serde_json's byte reader, so the Wasm carries one copy of its parser, not one per
/// reader type.
pub fn read_json<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_slice(text.as_bytes())
}

/// Writes JSON text, through the same single writer type everywhere (see [`read_json`]).
/// Serializing a `serde_json::Value` or one of our types cannot fail; `""` if it ever did.
pub fn write_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The decimal digits of an integer, on the stack: for ids built on the hot path without the
/// formatting machinery (`Display` of an `i64` writes the same text).
pub struct Decimal {
    buf: [u8; 21],
    start: usize,
}

impl Decimal {
    pub fn new(n: i64) -> Self {
        Self::digits(n.unsigned_abs(), n < 0)
    }

    pub fn unsigned(n: u64) -> Self {
        Self::digits(n, false)
    }

    fn digits(mut rest: u64, negative: bool) -> Self {
        // u64::MAX has 20 digits, and 2^63 19: with the sign, 21 places always suffice.
        let mut buf = [0u8; 21];
        let mut len = 0;
        for slot in buf.iter_mut().rev() {
            *slot = b'0' + (rest % 10) as u8;
            rest /= 10;
            len += 1;
            if rest == 0 {
                break;
            }
        }
        if negative {
            if let Some(slot) = buf.iter_mut().rev().nth(len) {
                *slot = b'-';
                len += 1;
            }
        }
        Decimal {
            start: buf.len().saturating_sub(len),
            buf,
        }
    }
}

impl std::ops::Deref for Decimal {
    type Target = str;

    fn deref(&self) -> &str {
        std::str::from_utf8(self.buf.get(self.start..).unwrap_or_default()).unwrap_or_default()
    }
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The bytes of lower- or upper-case hexadecimal; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// `s` cut to at most `max_chars` characters, the last one `…` when something was cut.
pub fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `%XX` escapes decoded (as UTF-8, invalid sequences replaced); anything else kept as it is,
/// `+` included: for path segments.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let escaped = (b[i] == b'%')
            .then(|| s.get(i + 1..i + 3).and_then(unhex))
            .flatten();
        match escaped.as_deref() {
            Some([byte]) => {
                out.push(*byte);
                i += 3;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `name=value` pairs of a query string (`application/x-www-form-urlencoded`: `+` is a
/// space, then `%XX` escapes), in order.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |x: &str| percent_decode(&x.replace('+', " "));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_reads_escapes_and_keeps_the_rest() {
        assert_eq!(percent_decode("a%3Ab%3a%2F+c"), "a:b:/+c");
        assert_eq!(percent_decode("%C3%A9t%C3%A9"), "été");
        // Not an escape: kept. Invalid UTF-8: replaced.
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{fffd}");
        assert_eq!(percent_decode("%E2%82"), "\u{fffd}");
    }

    #[test]
    fn query_pairs_read_forms() {
        assert_eq!(
            query_pairs("limit=5&kind=live_input&q=a+b%26c&flag&&x=%3D="),
            [
                ("limit", "5"),
                ("kind", "live_input"),
                ("q", "a b&c"),
                ("flag", ""),
                ("x", "==")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(query_pairs("").is_empty());
    }

    #[test]
    fn decimal_writes_what_display_writes() {
        for n in [0, 7, -7, 10, 1_720_548_471_077_371_662, i64::MAX, i64::MIN] {
            assert_eq!(&*Decimal::new(n), n.to_string(), "{n}");
        }
        for n in [0, 12345, u64::MAX] {
            assert_eq!(&*Decimal::unsigned(n), n.to_string(), "{n}");
        }
    }

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn unhex_reads_what_hex_writes_and_refuses_the_rest() {
        assert_eq!(unhex("000fa5FF"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(unhex(&hex(&[1, 2, 254])), Some(vec![1, 2, 254]));
        for bad in ["0", "0g", "zz", " 00"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }

    #[test]
    fn truncate_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo", 4), "hél…");
        assert_eq!(truncate("abc", 0), "…");
    }
}
