//! Reading a body into the fields its provider declares ([`from_json`]): first the fast path
//! here, one pass over the body's bytes that reads the declared fields straight into its
//! [`Fields`] and skips the rest; `serde_json` driven by the same declaration
//! ([`super::wire`]) whenever the fast path is not sure.
//!
//! The fast path only ever answers for the plain case and leaves the rest to serde (which `from_json` runs
//! whenever this gives `None`), so results and error messages stay serde's:
//! - `Some` only for a body serde reads the same way: well-formed JSON (serde's grammar: no
//!   trailing commas, leading zeros or bare control characters), an object at the top, every
//!   declared field of its JSON type, none twice, the required ones there, nothing but
//!   whitespace after it;
//! - `None` whenever it is not sure: any syntax or type error, a key with an escape or a
//!   non-ASCII byte, a `\u` escape of a UTF-16 surrogate or invalid UTF-8 in a string it reads,
//!   a negative, fractional or huge number where an integer is read, an array where an object
//!   is read (serde reads those by position), nesting deeper than [`MAX_DEPTH`] in a skipped
//!   value. Being stricter than serde only costs the slow path; being more lenient would be a
//!   bug: the tests run both readers on every fixture and on mutations of them.
//!
//! Skipped values are checked the way `serde_json` checks what it ignores: strings may hold any
//! byte but `"`, `\` and control characters, outside the escapes JSON allows.
//!
//! Every function takes the body and the index to start at, and gives the index after what it
//! read: the position stays in a register, the hot loops read a word (8 bytes) at a time.

use super::shape::ParseError;
use super::wire::{bit, serde_read, Field, Fields, Json, Object, Str, Value};
use crate::ingest::event::ProviderId;

/// Reads `body` as the object `wire` declares: the fast path where it is sure, else serde, with
/// errors that never echo payload values.
pub(crate) fn from_json<'a>(
    provider: ProviderId,
    body: &'a [u8],
    wire: &'static Object,
) -> Result<Fields<'a>, ParseError> {
    let mut fields = Fields::new();
    if read(body, wire, &mut fields).is_some() {
        // Under `cargo fuzz`, serde reads every body the fast path reads too: they must agree.
        #[cfg(fuzzing)]
        assert!(
            serde_read(provider, body, wire).as_ref() == Ok(&fields),
            "the fast path and serde read a body differently"
        );
        return Ok(fields);
    }
    serde_read(provider, body, wire)
}

/// Deeper nesting is left to serde (which ignores values of any depth).
const MAX_DEPTH: u32 = 64;

/// The byte `b` in each of a word's eight bytes.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// Reads `body` as the object `wire` declares into `out`; `None` leaves the body to serde.
pub(crate) fn read<'a>(body: &'a [u8], wire: &'static Object, out: &mut Fields<'a>) -> Option<()> {
    let end = object(body, space(body, 0), wire, out)?;
    (space(body, end) == body.len()).then_some(())
}

/// An object at `i`: its declared fields into `out`, the other keys skipped.
fn object<'a>(
    b: &'a [u8],
    i: usize,
    object: &'static Object,
    out: &mut Fields<'a>,
) -> Option<usize> {
    is_at(b, i, b'{')?;
    let mut i = space(b, i + 1);
    let mut seen = 0u32;
    if b.get(i) == Some(&b'}') {
        return object.complete(0).then_some(i + 1);
    }
    loop {
        is_at(b, i, b'"')?;
        // serde reads keys as strings: with no escape and only ASCII, the bytes are the key.
        let end = key_stop(b, i + 1);
        is_at(b, end, b'"')?;
        let key = b.get(i + 1..end)?;
        i = space(b, end + 1);
        is_at(b, i, b':')?;
        i = space(b, i + 1);
        i = match object.find(key) {
            Some(k) => {
                if seen & bit(k) != 0 {
                    return None;
                }
                seen |= bit(k);
                value(b, i, object.fields().get(k)?, out)?
            }
            None => skip(b, i)?,
        };
        i = space(b, i);
        match b.get(i)? {
            b',' => i = space(b, i + 1),
            b'}' => break,
            _ => return None,
        }
    }
    object.complete(seen).then_some(i + 1)
}

/// A declared field's value at `i`, into its slot.
fn value<'a>(b: &'a [u8], i: usize, field: &'static Field, out: &mut Fields<'a>) -> Option<usize> {
    let is_null = b.get(i) == Some(&b'n');
    let (value, end) = match field.kind() {
        Json::OptStr
        | Json::OptBool
        | Json::OptI64
        | Json::OptAnyStr
        | Json::OptNumber
        | Json::OptObject(_)
            if is_null =>
        {
            (Value::Absent, literal(b, i + 1, b"ull")?)
        }
        Json::Str | Json::OptStr => {
            let (s, end) = string(b, i)?;
            (Value::Str(s), end)
        }
        Json::Bool | Json::OptBool => {
            let (v, end) = boolean(b, i)?;
            (Value::Bool(v), end)
        }
        Json::U64 => {
            let (n, end) = unsigned(b, i)?;
            (Value::U64(n), end)
        }
        Json::OptI64 => {
            let (n, end) = unsigned(b, i)?;
            (Value::I64(i64::try_from(n).ok()?), end)
        }
        Json::Id => match b.get(i)? {
            b'"' => {
                let (s, end) = string(b, i)?;
                (Value::Str(s), end)
            }
            _ => {
                let (n, end) = unsigned(b, i)?;
                (Value::U64(n), end)
            }
        },
        // A string, `true` or `false` (numbers, arrays and objects: serde's business).
        Json::OptAnyStr => match b.get(i)? {
            b'"' => {
                let (s, end) = string(b, i)?;
                (Value::Str(s), end)
            }
            _ => (Value::Absent, boolean(b, i)?.1),
        },
        Json::FirstStr => first_string(b, i)?,
        // Read as serde reads a number into a `serde_json::Number` (the same code).
        Json::OptNumber => {
            let end = number(b, i)?;
            let n = serde_json::from_slice(b.get(i..end)?).ok()?;
            (Value::Number(n), end)
        }
        Json::Object(o) | Json::DefaultObject(o) | Json::OptObject(o) => {
            (Value::Present, object(b, i, o, out)?)
        }
    };
    out.set(field, value);
    Some(end)
}

/// `Some` if the byte at `i` is `c`.
fn is_at(b: &[u8], i: usize, c: u8) -> Option<()> {
    (b.get(i) == Some(&c)).then_some(())
}

/// The eight bytes from `i`, if there are eight.
fn word(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(*b.get(i..)?.first_chunk::<8>()?))
}

/// The index after the JSON whitespace (space, tab, CR, LF) at `i`; the indentation after a
/// line break a word at a time.
fn space(b: &[u8], mut i: usize) -> usize {
    // Plain comparisons, not a `match`: the compiler would make that an indirect jump, which the
    // processor predicts badly.
    while let Some(&c) = b.get(i) {
        if c > b' ' {
            break;
        }
        if c == b'\n' {
            i += 1;
            while let Some(w) = word(b, i) {
                // The number of spaces the word starts with (all eight: 64 / 8).
                let n = (w ^ splat(b' ')).trailing_zeros() / 8;
                i += n as usize;
                if n < 8 {
                    break;
                }
            }
        } else if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The index of the first `"`, `\` or control character from `i`.
fn string_stop(b: &[u8], i: usize) -> usize {
    stop(b, i, 0)
}

/// The index of the first `"`, `\`, control character or non-ASCII byte from `i`: the end of
/// a key serde reads as the same bytes.
fn key_stop(b: &[u8], i: usize) -> usize {
    stop(b, i, splat(0x80))
}

/// The index of the first `"`, `\` or control character from `i`, or of a byte with a bit of
/// `high` set.
fn stop(b: &[u8], mut i: usize, high: u64) -> usize {
    while i + 8 <= b.len() {
        let Some(w) = word(b, i) else { break };
        let quote = w ^ splat(b'"');
        let backslash = w ^ splat(b'\\');
        // Mycroft's zero-byte test: the lowest flagged byte is exact, which is all we use.
        let stops = (w.wrapping_sub(splat(0x20)) & !w)
            | (quote.wrapping_sub(splat(1)) & !quote)
            | (backslash.wrapping_sub(splat(1)) & !backslash)
            | (w & high);
        let stops = stops & splat(0x80);
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 || u64::from(c) & high != 0 {
            break;
        }
        i += 1;
    }
    i
}

/// The index after a string whose opening quote is at `i - 1`, escapes checked as serde checks
/// those it ignores.
#[inline(always)]
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i = string_stop(b, i);
        match b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    hex4(b, i + 2)?;
                    i += 6;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
}

/// The four hex digits at `i` as a number.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)?
        .iter()
        .try_fold(0, |n, &d| Some(n << 4 | char::from(d).to_digit(16)?))
}

/// A string at `i` as valid UTF-8: borrowed from the body, or decoded where it has escapes.
fn string(b: &[u8], i: usize) -> Option<(Str<'_>, usize)> {
    is_at(b, i, b'"')?;
    let stop = string_stop(b, i + 1);
    if b.get(stop) != Some(&b'"') {
        return escaped_string(b, i + 1);
    }
    let text = std::str::from_utf8(b.get(i + 1..stop)?).ok()?;
    Some((Str::borrowed(text), stop + 1))
}

/// A string that has escapes, from after its opening quote, decoded as serde decodes it; a `\u`
/// escape of a UTF-16 surrogate (half of a pair) is serde's business.
fn escaped_string(b: &[u8], mut i: usize) -> Option<(Str<'_>, usize)> {
    let mut out = Vec::new();
    loop {
        let stop = string_stop(b, i);
        out.extend_from_slice(b.get(i..stop)?);
        i = stop + 2;
        let c = match (b.get(stop)?, b.get(stop + 1)) {
            (b'"', _) => {
                let text = String::from_utf8(out).ok()?;
                return Some((Str::owned(text), stop + 1));
            }
            (b'\\', Some(b'"')) => '"',
            (b'\\', Some(b'\\')) => '\\',
            (b'\\', Some(b'/')) => '/',
            (b'\\', Some(b'b')) => '\u{8}',
            (b'\\', Some(b'f')) => '\u{c}',
            (b'\\', Some(b'n')) => '\n',
            (b'\\', Some(b'r')) => '\r',
            (b'\\', Some(b't')) => '\t',
            (b'\\', Some(b'u')) => {
                // A surrogate is no `char`: serde's business.
                let c = char::from_u32(hex4(b, i)?)?;
                i += 4;
                c
            }
            _ => return None,
        };
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// `rest` (the remainder of a literal) at `i`.
fn literal(b: &[u8], i: usize, rest: &[u8]) -> Option<usize> {
    let end = i + rest.len();
    (b.get(i..end)? == rest).then_some(end)
}

fn boolean(b: &[u8], i: usize) -> Option<(bool, usize)> {
    match b.get(i)? {
        b't' => Some((true, literal(b, i + 1, b"rue")?)),
        b'f' => Some((false, literal(b, i + 1, b"alse")?)),
        _ => None,
    }
}

/// The index after the digits at `i`, a word at a time.
fn digits(b: &[u8], mut i: usize) -> usize {
    while let Some(w) = word(b, i) {
        // A byte is a digit (0x30..=0x39) if neither subtracting 0x30 nor adding 0x46 sets its
        // high bit; as in `stop`, the lowest flagged byte is exact.
        let other = (w.wrapping_sub(splat(b'0')) | w.wrapping_add(splat(0x46))) & splat(0x80);
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(b'0'..=b'9') = b.get(i) {
        i += 1;
    }
    i
}

/// The index after a number at `i`, checked as serde checks one it ignores.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(b, i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(b, i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        let end = digits(b, i);
        if end == i {
            return None;
        }
        i = end;
    }
    // `01`: serde refuses a leading zero.
    (!matches!(b.get(i), Some(b'0'..=b'9'))).then_some(i)
}

/// A non-negative integer without fraction or exponent that fits a `u64` (anything else is
/// serde's business: `-0` is a float to serde, `1e3` too).
fn unsigned(b: &[u8], i: usize) -> Option<(u64, usize)> {
    let end = digits(b, i);
    let text = b.get(i..end)?;
    if text.is_empty() || (text.len() > 1 && text.first() == Some(&b'0')) {
        return None;
    }
    if let Some(b'.' | b'e' | b'E') = b.get(end) {
        return None;
    }
    let n = text.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some((n, end))
}

/// An array of strings at `i`, of which the first is kept.
fn first_string(b: &[u8], i: usize) -> Option<(Value<'_>, usize)> {
    is_at(b, i, b'[')?;
    let mut i = space(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Some((Value::Absent, i + 1));
    }
    let (first, end) = string(b, i)?;
    i = end;
    loop {
        i = space(b, i);
        match b.get(i)? {
            b',' => i = string(b, space(b, i + 1))?.1,
            b']' => return Some((Value::Str(first), i + 1)),
            _ => return None,
        }
    }
}

/// The index after the value at `i` (of any kind), checked as serde checks what it ignores.
fn skip(b: &[u8], mut i: usize) -> Option<usize> {
    // One bit a level: 1 in an object, 0 in an array.
    let mut objects: u64 = 0;
    let mut depth = 0u32;
    loop {
        i = space(b, i);
        let c = *b.get(i)?;
        // The common kinds first, with plain comparisons (see `space`).
        i = if c == b'"' {
            string_end(b, i + 1)?
        } else if c.is_ascii_digit() || c == b'-' {
            number(b, i)?
        } else if c == b'{' || c == b'[' {
            let close = if c == b'{' { b'}' } else { b']' };
            i = space(b, i + 1);
            if b.get(i) == Some(&close) {
                i + 1
            } else {
                depth += 1;
                if depth > MAX_DEPTH {
                    return None;
                }
                objects = objects << 1 | u64::from(c == b'{');
                if c == b'{' {
                    i = key(b, i)?;
                }
                continue;
            }
        } else {
            match c {
                b'n' => literal(b, i + 1, b"ull")?,
                b't' => literal(b, i + 1, b"rue")?,
                b'f' => literal(b, i + 1, b"alse")?,
                _ => return None,
            }
        };
        // After a value: commas and closing brackets.
        loop {
            if depth == 0 {
                return Some(i);
            }
            i = space(b, i);
            let in_object = objects & 1 == 1;
            match b.get(i)? {
                b',' => {
                    i += 1;
                    if in_object {
                        i = key(b, space(b, i))?;
                    }
                    break;
                }
                b'}' if in_object => {}
                b']' if !in_object => {}
                _ => return None,
            }
            i += 1;
            objects >>= 1;
            depth -= 1;
        }
    }
}

/// The index after `"key":` at `i`, in an object being skipped.
fn key(b: &[u8], i: usize) -> Option<usize> {
    is_at(b, i, b'"')?;
    let i = space(b, string_end(b, i + 1)?);
    is_at(b, i, b':')?;
    Some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `word` at every offset of a buffer holding `c` at position `at` among `fill` bytes.
    fn with_byte(fill: u8, c: u8, at: usize) -> Vec<u8> {
        let mut v = vec![fill; 24];
        v[at] = c;
        v
    }

    #[test]
    fn the_word_scans_stop_where_a_byte_loop_would() {
        for c in 0..=255u8 {
            for at in 0..20 {
                let v = with_byte(b'a', c, at);
                let stops = c == b'"' || c == b'\\' || c < 0x20;
                assert_eq!(
                    string_stop(&v, 0),
                    if stops { at } else { 24 },
                    "{c:#x}@{at}"
                );
                let key_stops = stops || c >= 0x80;
                assert_eq!(
                    key_stop(&v, 0),
                    if key_stops { at } else { 24 },
                    "{c:#x}@{at}"
                );
                let v = with_byte(b'7', c, at);
                let digit = c.is_ascii_digit();
                assert_eq!(digits(&v, 0), if digit { 24 } else { at }, "{c:#x}@{at}");
                let v = with_byte(b' ', c, at);
                let blank = matches!(c, b' ' | b'\n' | b'\r' | b'\t');
                assert_eq!(space(&v, 0), if blank { 24 } else { at }, "{c:#x}@{at}");
            }
        }
        assert_eq!(space(b"\n          \t x", 0), 13);
        assert_eq!(string_stop(b"", 0), 0);
        assert_eq!(digits(b"12", 5), 5);
    }

    #[test]
    fn numbers_follow_serde_grammar() {
        for ok in [
            "0",
            "-0",
            "12",
            "-1.5",
            "1e3",
            "1E+3",
            "2.5e-7",
            "18446744073709551616",
        ] {
            let b = format!("{ok},");
            assert_eq!(number(b.as_bytes(), 0), Some(ok.len()), "{ok}");
        }
        for bad in ["-", "01", "1.", "1.e3", "1e", "1e+", "+1", ".5", "-a"] {
            let b = format!("{bad},");
            assert_eq!(number(b.as_bytes(), 0), None, "{bad}");
        }
        assert_eq!(unsigned(b"123,", 0), Some((123, 3)));
        assert_eq!(unsigned(b"18446744073709551615", 0), Some((u64::MAX, 20)));
        for not_here in [
            &b"18446744073709551616"[..],
            b"-1",
            b"01",
            b"1.0",
            b"1e2",
            b"",
        ] {
            assert_eq!(unsigned(not_here, 0), None, "{not_here:?}");
        }
    }

    #[test]
    fn strings_are_read_borrowed_or_decoded_and_checked() {
        let s = |json: &str| string(json.as_bytes(), 0).map(|(s, end)| (s.to_string(), end));
        assert_eq!(s(r#""abc" "#), Some(("abc".into(), 5)));
        assert_eq!(
            s(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC""#),
            Some(("a\"b\\c/d\u{8}\u{c}\n\r\t\u{e9}\u{20ac}".into(), 34))
        );
        // Surrogates, bad escapes, control characters, invalid UTF-8, no end: serde's business.
        for bad in [
            &br#""\ud83d\ude00""#[..],
            br#""\x""#,
            br#""\u12g4""#,
            b"\"a\nb\"",
            b"\"\xff\"",
            b"\"abc",
        ] {
            assert!(string(bad, 0).is_none(), "{bad:?}");
        }
        // Skipped strings take any byte but the ones serde refuses in what it ignores.
        assert_eq!(string_end(b"a\xffb\\u12aF\\n\" ", 0), Some(12));
        for bad in [&b"a\x01\""[..], b"\\x\"", b"\\u12\"", b"abc"] {
            assert_eq!(string_end(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn skipping_checks_everything_it_skips() {
        let skipped = |json: &str| skip(json.as_bytes(), 0);
        for ok in [
            r#"{"a": [1, -2.5e3, "x", true, false, null, {}, [], {"b": {"c": [[]]}}]}"#,
            "[\n  1,\n  2\n]",
            r#""\u0000""#,
        ] {
            assert_eq!(skipped(ok), Some(ok.len()), "{ok}");
        }
        for bad in [
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            "[1 2]",
            "[1}",
            r#"{"a":1]"#,
            "nul",
            "tru",
            "[01]",
            "]",
            "",
        ] {
            assert_eq!(skipped(bad), None, "{bad}");
        }
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(skip(deep(MAX_DEPTH as usize).as_bytes(), 0).is_some());
        assert!(skip(deep(MAX_DEPTH as usize + 1).as_bytes(), 0).is_none());
    }

    static WIRE: Object = Object::new(&[
        Field::new("type", Json::Str, 0),
        Field::new(
            "data",
            Json::OptObject(&Object::new(&[Field::new("id", Json::OptStr, 1)])),
            2,
        ),
    ]);

    fn read_body(body: &str) -> Option<Fields<'_>> {
        let mut out = Fields::new();
        read(body.as_bytes(), &WIRE, &mut out).map(|()| out)
    }

    #[test]
    fn only_plain_objects_are_read_and_the_rest_left_to_serde() {
        let f = read_body(r#" {"x": [1], "type": "t", "data": {"id": "i", "y": {}}} "#).unwrap();
        assert_eq!((f.str(0), f.str(1), f.has(2)), (Some("t"), Some("i"), true));
        let f = read_body(r#"{"type":"t","data":null}"#).unwrap();
        assert_eq!((f.str(1), f.has(2)), (None, false));
        for serde_decides in [
            r#"{"data":{}}"#,                     // a required field missing
            r#"{"type":"t","type":"u"}"#,         // a field twice
            r#"{"type":1}"#,                      // the wrong type
            r#"{"typ\u0065":"t"}"#,               // an escaped key
            "{\"type\":\"t\",\"\u{e9}\":1}",      // a non-ASCII key
            r#"["t"]"#,                           // a struct as an array
            r#"{"type":"t"} {}"#,                 // something after it
            r#"{"type":"t","data":{"id":"i",}}"#, // a trailing comma
        ] {
            assert!(read_body(serde_decides).is_none(), "{serde_decides}");
        }
    }
}
