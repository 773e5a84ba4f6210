//! The fast path that reads a webhook body into a provider's wire structs without serde: one
//! pass over the bytes, the fields the structs name read in place, everything else skipped.
//!
//! It only ever answers for the plain case and leaves the rest to serde ([`super::shape`] runs
//! `serde_json` whenever this gives `None`), so results and error messages stay serde's:
//! - `Some` only for a document serde reads the same way: well-formed JSON (serde's grammar:
//!   no trailing commas, leading zeros or bare control characters), an object at the top,
//!   every named field of the JSON type its struct field has, no named field twice, required
//!   fields present, nothing but whitespace after it.
//! - `None` whenever it is not sure: any syntax or type error, a key with an escape or a
//!   non-ASCII byte, a string value read with an escape or invalid UTF-8, a negative or
//!   fractional number where an integer is read, nesting deeper than [`MAX_DEPTH`], an array
//!   where a struct is read (serde reads those by position). Being stricter than serde only
//!   costs the slow path; being more lenient would be a bug, and the differential tests in
//!   `tests.rs` (fast path against serde on every fixture and thousands of mutations) guard it.
//!
//! Skipped values are checked the way `serde_json` checks what it ignores: strings may hold any
//! byte but `"`, `\` and control characters, outside the escapes JSON allows.

use super::shape::{AnyStr, FirstStr, RawId, Str};

/// Deeper nesting is left to serde (which ignores values of any depth).
pub(crate) const MAX_DEPTH: u32 = 64;

/// A position in a body being skimmed.
pub(crate) struct Skim<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// A wire struct the fast path can read.
pub(crate) trait Skimmed<'a>: Sized {
    /// Reads the value that starts here (after whitespace); `None` leaves the body to serde.
    fn skim(s: &mut Skim<'a>) -> Option<Self>;
}

const ONES: u64 = 0x0101_0101_0101_0101;

impl<'a> Skim<'a> {
    /// `T` read from the whole of `body`, or `None` where serde must decide.
    pub(crate) fn whole<T: Skimmed<'a>>(body: &'a [u8]) -> Option<T> {
        let mut s = Skim { bytes: body, at: 0 };
        let value = T::skim(&mut s)?;
        s.space();
        (s.at == body.len()).then_some(value)
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
    pub(crate) fn skip(&mut self) -> Option<()> {
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

    /// Reads an object: `field` gets each key (plain ASCII, no escape) and must read its value.
    pub(crate) fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        (self.token()? == b'{').then_some(())?;
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Some(());
        }
        loop {
            (self.token()? == b'"').then_some(())?;
            let key = self.plain_string()?;
            if !key.is_ascii() {
                return None;
            }
            (self.token()? == b':').then_some(())?;
            field(self, key)?;
            match self.token()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// Reads a field's value into `slot` with `read`: `None` if the field came before (serde
    /// refuses a duplicate field).
    pub(crate) fn once<T>(
        &mut self,
        slot: &mut Option<T>,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<()> {
        if slot.is_some() {
            return None;
        }
        *slot = Some(read(self)?);
        Some(())
    }

    /// `null` as `None`, else what `read` reads.
    pub(crate) fn nullable<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        self.space();
        if self.peek() == Some(b'n') {
            self.at += 1;
            self.literal(b"ull")?;
            return Some(None);
        }
        read(self).map(Some)
    }

    /// A string as valid UTF-8: borrowed from the body, or decoded where it has escapes.
    pub(crate) fn str(&mut self) -> Option<Str<'a>> {
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

    pub(crate) fn opt_str(&mut self) -> Option<Option<Str<'a>>> {
        self.nullable(Self::str)
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.token()? {
            b't' => self.literal(b"rue").map(|()| true),
            b'f' => self.literal(b"alse").map(|()| false),
            _ => None,
        }
    }

    pub(crate) fn opt_bool(&mut self) -> Option<Option<bool>> {
        self.nullable(Self::bool)
    }

    /// A non-negative integer without fraction or exponent that fits a `u64`.
    pub(crate) fn u64(&mut self) -> Option<u64> {
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
    pub(crate) fn i64(&mut self) -> Option<i64> {
        i64::try_from(self.u64()?).ok()
    }

    /// The raw text of a number, checked as serde checks one it ignores.
    pub(crate) fn number_text(&mut self) -> Option<&'a str> {
        self.space();
        let start = self.at;
        let first = self.token_raw()?;
        if !matches!(first, b'-' | b'0'..=b'9') {
            return None;
        }
        self.skip_number(first)?;
        std::str::from_utf8(self.bytes.get(start..self.at)?).ok()
    }

    /// `null`, or a number read exactly as serde reads one into a `serde_json::Number`.
    pub(crate) fn opt_number(&mut self) -> Option<Option<serde_json::Number>> {
        self.nullable(|s| serde_json::from_slice(s.number_text()?.as_bytes()).ok())
    }

    /// Reads an array whose items `item` reads, keeping the first.
    pub(crate) fn array<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Option<T>> {
        (self.token()? == b'[').then_some(())?;
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Some(None);
        }
        let first = item(self)?;
        loop {
            match self.token()? {
                b',' => {
                    item(self)?;
                }
                b']' => return Some(Some(first)),
                _ => return None,
            }
        }
    }

    /// The next value's first byte, not consumed.
    pub(crate) fn peek_value(&mut self) -> Option<u8> {
        self.space();
        self.peek()
    }
}

impl<'a, T: Skimmed<'a>> Skimmed<'a> for Option<T> {
    fn skim(s: &mut Skim<'a>) -> Option<Self> {
        s.nullable(T::skim)
    }
}

/// A number or a string without escapes; anything else is serde's business.
impl<'a> Skimmed<'a> for RawId<'a> {
    fn skim(s: &mut Skim<'a>) -> Option<Self> {
        match s.peek_value()? {
            b'"' => s.str().map(RawId::Str),
            _ => s.u64().map(RawId::Num),
        }
    }
}

/// A string, `true` or `false`; numbers, arrays and objects are serde's business.
impl<'a> Skimmed<'a> for AnyStr<'a> {
    fn skim(s: &mut Skim<'a>) -> Option<Self> {
        match s.peek_value()? {
            b'"' => s.str().map(|text| AnyStr(Some(text))),
            _ => s.bool().map(|_| AnyStr(None)),
        }
    }
}

/// An array of strings without escapes.
impl<'a> Skimmed<'a> for FirstStr<'a> {
    fn skim(s: &mut Skim<'a>) -> Option<Self> {
        s.array(Skim::str).map(FirstStr)
    }
}
