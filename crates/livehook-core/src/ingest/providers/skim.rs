//! The fast path of [`super::wire::from_json`]: one pass over a body's bytes that reads the
//! fields a provider declares straight into its [`Fields`], and skips the rest.
//!
//! It only ever answers for the plain case and leaves the rest to serde (which `from_json` runs
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

use super::wire::{bit, complete, find, Field, Fields, Json, Str, Value};

/// Deeper nesting is left to serde (which ignores values of any depth).
const MAX_DEPTH: u32 = 64;

/// A position in a body being skimmed.
struct Skim<'a> {
    bytes: &'a [u8],
    at: usize,
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// Reads `body` as the object `wire` declares into `out`; `None` leaves the body to serde.
pub(crate) fn read<'a>(body: &'a [u8], wire: &'static [Field], out: &mut Fields<'a>) -> Option<()> {
    let mut s = Skim { bytes: body, at: 0 };
    s.object(wire, out)?;
    s.space();
    (s.at == body.len()).then_some(())
}

impl<'a> Skim<'a> {
    /// Reads an object: its declared fields into `out`, the other keys skipped.
    fn object(&mut self, fields: &'static [Field], out: &mut Fields<'a>) -> Option<()> {
        (self.token()? == b'{').then_some(())?;
        let mut seen = 0u32;
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                (self.token()? == b'"').then_some(())?;
                let key = self.plain_string()?;
                // serde reads keys as strings: with no escape and only ASCII, the bytes are it.
                if !key.is_ascii() {
                    return None;
                }
                (self.token()? == b':').then_some(())?;
                match find(fields, key) {
                    Some(i) => {
                        if seen & bit(i) != 0 {
                            return None;
                        }
                        seen |= bit(i);
                        self.value(fields.get(i)?, out)?;
                    }
                    None => self.skip()?,
                }
                match self.token()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        complete(fields, seen).then_some(())
    }

    /// Reads a declared field's value into its slot.
    fn value(&mut self, field: &'static Field, out: &mut Fields<'a>) -> Option<()> {
        let str_or_absent = |s: Option<Str<'a>>| s.map_or(Value::Absent, Value::Str);
        let value = match field.kind() {
            Json::Str => Value::Str(self.str()?),
            Json::OptStr => str_or_absent(self.nullable(Self::str)?),
            Json::Bool => Value::Bool(self.bool()?),
            Json::OptBool => self
                .nullable(Self::bool)?
                .map_or(Value::Absent, Value::Bool),
            Json::U64 => Value::U64(self.u64()?),
            Json::OptI64 => self.nullable(Self::i64)?.map_or(Value::Absent, Value::I64),
            Json::Id => match self.peek_value()? {
                b'"' => Value::Str(self.str()?),
                _ => Value::U64(self.u64()?),
            },
            // A string, `true` or `false` (numbers, arrays and objects: serde's business).
            Json::OptAnyStr => match self.peek_value()? {
                b'"' => Value::Str(self.str()?),
                b'n' => {
                    self.at += 1;
                    self.literal(b"ull")?;
                    Value::Absent
                }
                _ => {
                    self.bool()?;
                    Value::Absent
                }
            },
            Json::FirstStr => str_or_absent(self.first_str()?),
            Json::OptNumber => self
                .nullable(Self::number)?
                .map_or(Value::Absent, Value::Number),
            Json::Object(fields) | Json::DefaultObject(fields) => {
                self.object(fields, out)?;
                Value::Present
            }
            Json::OptObject(fields) => match self.nullable(|s| s.object(fields, out))? {
                Some(()) => Value::Present,
                None => Value::Absent,
            },
        };
        out.set(field, value);
        Some(())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// The eight bytes from `i`, if there are eight.
    fn word(&self, i: usize) -> Option<u64> {
        let chunk = self.bytes.get(i..i + 8)?;
        Some(u64::from_le_bytes(chunk.try_into().ok()?))
    }

    /// Skips JSON whitespace (space, tab, CR, LF); runs of spaces (indentation) a word at a
    /// time.
    fn space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
            while let Some(w) = self.word(self.at) {
                // The number of spaces the word starts with (all eight: 64 / 8).
                let n = (w ^ (ONES * u64::from(b' '))).trailing_zeros() / 8;
                self.at += n as usize;
                if n < 8 {
                    break;
                }
            }
        }
    }

    /// The next byte after whitespace, consumed.
    fn token(&mut self) -> Option<u8> {
        self.space();
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// Consumes `rest` (the remainder of a literal).
    fn literal(&mut self, rest: &[u8]) -> Option<()> {
        let end = self.at + rest.len();
        (self.bytes.get(self.at..end)? == rest).then(|| self.at = end)
    }

    /// The index of the first `"`, `\` or control character from `self.at`.
    fn string_stop(&self) -> usize {
        let mut i = self.at;
        while let Some(w) = self.word(i) {
            let quote = w ^ (ONES * u64::from(b'"'));
            let backslash = w ^ (ONES * u64::from(b'\\'));
            // Mycroft's zero-byte test: the lowest flagged byte is exact, which is all we use.
            let stops = (w.wrapping_sub(ONES * 0x20) & !w)
                | (quote.wrapping_sub(ONES) & !quote)
                | (backslash.wrapping_sub(ONES) & !backslash);
            let stops = stops & (ONES << 7);
            if stops != 0 {
                return i + (stops.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while let Some(&b) = self.bytes.get(i) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            i += 1;
        }
        i
    }

    /// The raw bytes of a string whose opening quote was consumed, if it has no escape.
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        let stop = self.string_stop();
        let raw = self.bytes.get(self.at..stop)?;
        (self.bytes.get(stop) == Some(&b'"')).then(|| {
            self.at = stop + 1;
            raw
        })
    }

    /// Skips a string whose opening quote was consumed, escapes included.
    fn skip_string(&mut self) -> Option<()> {
        loop {
            self.at = self.string_stop();
            match self.token_raw()? {
                b'"' => return Some(()),
                b'\\' => match self.token_raw()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        let hex = self.bytes.get(self.at..self.at + 4)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        self.at += 4;
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    /// Skips a number whose first byte (`-` or a digit) was consumed.
    fn skip_number(&mut self, first: u8) -> Option<()> {
        let lead = if first == b'-' {
            self.token_raw()?
        } else {
            first
        };
        match lead {
            b'0' => {}
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        // `01`: serde refuses a leading zero.
        (!matches!(self.peek(), Some(b'0'..=b'9'))).then_some(())
    }

    /// The next byte, consumed, without skipping whitespace.
    fn token_raw(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    /// Skips one value of any kind, checking it as serde checks what it ignores.
    fn skip(&mut self) -> Option<()> {
        // One bit a level: 1 in an object, 0 in an array.
        let mut objects: u64 = 0;
        let mut depth = 0u32;
        loop {
            match self.token()? {
                b'"' => self.skip_string()?,
                b'n' => self.literal(b"ull")?,
                b't' => self.literal(b"rue")?,
                b'f' => self.literal(b"alse")?,
                b @ (b'-' | b'0'..=b'9') => self.skip_number(b)?,
                open @ (b'{' | b'[') => {
                    self.space();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.at += 1;
                    } else {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return None;
                        }
                        objects = objects << 1 | u64::from(open == b'{');
                        if open == b'{' {
                            self.skip_key()?;
                        }
                        continue;
                    }
                }
                _ => return None,
            }
            // After a value: commas and closing brackets.
            loop {
                if depth == 0 {
                    return Some(());
                }
                let in_object = objects & 1 == 1;
                match self.token()? {
                    b',' => {
                        if in_object {
                            self.skip_key()?;
                        }
                        break;
                    }
                    b'}' if in_object => {}
                    b']' if !in_object => {}
                    _ => return None,
                }
                objects >>= 1;
                depth -= 1;
            }
        }
    }

    /// Skips `"key":` in an object being skipped.
    fn skip_key(&mut self) -> Option<()> {
        (self.token()? == b'"').then_some(())?;
        self.skip_string()?;
        (self.token()? == b':').then_some(())
    }

    /// `null` as `None`, else what `read` reads.
    fn nullable<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        self.space();
        if self.peek() == Some(b'n') {
            self.at += 1;
            self.literal(b"ull")?;
            return Some(None);
        }
        read(self).map(Some)
    }

    /// A string as valid UTF-8: borrowed from the body, or decoded where it has escapes.
    fn str(&mut self) -> Option<Str<'a>> {
        (self.token()? == b'"').then_some(())?;
        let start = self.at;
        let stop = self.string_stop();
        if self.bytes.get(stop) != Some(&b'"') {
            return self.escaped_str(start);
        }
        let text = std::str::from_utf8(self.bytes.get(start..stop)?).ok()?;
        self.at = stop + 1;
        Some(Str::borrowed(text))
    }

    /// The rest of a string that has escapes, decoded as serde decodes it; a `\u` escape of a
    /// UTF-16 surrogate (half of a pair) is serde's business.
    fn escaped_str(&mut self, start: usize) -> Option<Str<'a>> {
        let mut out = Vec::new();
        self.at = start;
        loop {
            let stop = self.string_stop();
            out.extend_from_slice(self.bytes.get(self.at..stop)?);
            self.at = stop;
            match self.token_raw()? {
                b'"' => return String::from_utf8(out).ok().map(Str::owned),
                b'\\' => {}
                _ => return None,
            }
            let c = match self.token_raw()? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hex = self.bytes.get(self.at..self.at + 4)?;
                    self.at += 4;
                    // Four hex digits (`from_str_radix` would also take a sign). A surrogate
                    // is no `char`: serde's business.
                    let code = hex
                        .iter()
                        .try_fold(0, |n, &b| Some(n << 4 | char::from(b).to_digit(16)?))?;
                    char::from_u32(code)?
                }
                _ => return None,
            };
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }

    fn bool(&mut self) -> Option<bool> {
        match self.token()? {
            b't' => self.literal(b"rue").map(|()| true),
            b'f' => self.literal(b"alse").map(|()| false),
            _ => None,
        }
    }

    /// A non-negative integer without fraction or exponent that fits a `u64`.
    fn u64(&mut self) -> Option<u64> {
        let n: u64 = match self.token()? {
            b'0' => 0,
            d @ b'1'..=b'9' => {
                let mut n = u64::from(d - b'0');
                while let Some(d @ b'0'..=b'9') = self.peek() {
                    n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
                    self.at += 1;
                }
                n
            }
            _ => return None,
        };
        // `0` followed by a digit, a fraction or an exponent: serde's business.
        match self.peek() {
            Some(b'0'..=b'9' | b'.' | b'e' | b'E') => None,
            _ => Some(n),
        }
    }

    /// A non-negative integer that fits an `i64` (negative ones are serde's business).
    fn i64(&mut self) -> Option<i64> {
        i64::try_from(self.u64()?).ok()
    }

    /// The raw text of a number, checked as serde checks one it ignores.
    fn number_text(&mut self) -> Option<&'a str> {
        self.space();
        let start = self.at;
        let first = self.token_raw()?;
        if !matches!(first, b'-' | b'0'..=b'9') {
            return None;
        }
        self.skip_number(first)?;
        std::str::from_utf8(self.bytes.get(start..self.at)?).ok()
    }

    /// A number, read exactly as serde reads one into a `serde_json::Number`.
    fn number(&mut self) -> Option<serde_json::Number> {
        serde_json::from_slice(self.number_text()?.as_bytes()).ok()
    }

    /// An array of strings: the first, if any.
    fn first_str(&mut self) -> Option<Option<Str<'a>>> {
        (self.token()? == b'[').then_some(())?;
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(None);
        }
        let first = self.str()?;
        loop {
            match self.token()? {
                b',' => {
                    self.str()?;
                }
                b']' => return Some(Some(first)),
                _ => return None,
            }
        }
    }

    /// The next value's first byte, not consumed.
    fn peek_value(&mut self) -> Option<u8> {
        self.space();
        self.peek()
    }
}
