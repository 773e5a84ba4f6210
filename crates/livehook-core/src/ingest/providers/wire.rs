//! The wire formats: what a provider reads of a webhook body, declared once as a tree of
//! [`Object`]s of [`Field`]s (a provider's `WIRE`: JSON names, the JSON type each must have, and
//! the slot of [`Fields`] its value lands in), and read into [`Fields`] by
//! [`super::skim::from_json`]. This
//! stands where private `#[derive(Deserialize)]` structs would: the declaration mirrors the
//! provider's JSON, the provider reads its fields by slot (`f.str(at::TYPE)`).
//!
//! Two readers share the declaration and give the same [`Fields`]:
//! - the fast path ([`super::skim`]), one pass over the bytes that reads the named fields in
//!   place and skips the rest, for the well-formed bodies providers send;
//! - `serde_json` driven by the declaration (the [`ObjectSeed`] below), whenever the fast path is
//!   not sure. It reads exactly as `#[derive(Deserialize)]` structs with these fields would
//!   (required fields, `#[serde(default)]` on every optional one, duplicate keys refused,
//!   arrays read by position, aliases), so every accepted body, every refusal and every error
//!   message (position included) is serde's.
//!
//! One declaration read by one non-generic interpreter keeps the Wasm small: serde derive
//! instantiates its machinery once per struct (≈ 95 KB of code for the seven providers' structs).
//! Fields livehook never needs (credentials, URLs) are not declared: they are skipped, never
//! copied. Strings are slices of the body unless they have escapes to undo.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use serde_json::Number;

use super::shape::ParseError;
use crate::ingest::event::ProviderId;
use crate::text::Decimal;

/// Slots a provider's [`Fields`] has: enough for the provider that reads the most fields.
pub(crate) const SLOTS: usize = 16;

/// One JSON field a provider reads: its name (and an older name it may have), the JSON type its
/// value must have, and the slot its value goes to (for an object: where its presence goes).
pub(crate) struct Field {
    name: &'static str,
    alias: &'static str,
    kind: Json,
    slot: usize,
}

/// The JSON type of a field's value, and whether the field must be there.
#[derive(Clone, Copy)]
pub(crate) enum Json {
    /// A string; required.
    Str,
    /// A string or `null`.
    OptStr,
    /// `true` or `false`; required.
    Bool,
    OptBool,
    /// A non-negative integer; required.
    U64,
    /// An integer or `null`.
    OptI64,
    /// A non-negative integer or a string (Gcore ids); required.
    Id,
    /// Any value or `null`; only a string is kept.
    OptAnyStr,
    /// An array of strings, of which the first is kept; may be missing, not `null`.
    FirstStr,
    /// A number or `null`, kept as `serde_json` reads it.
    OptNumber,
    /// An object with these fields; required.
    Object(&'static Object),
    /// An object with these fields; may be missing, not `null`.
    DefaultObject(&'static Object),
    /// An object with these fields, or `null`.
    OptObject(&'static Object),
}

impl Field {
    pub(crate) const fn new(name: &'static str, kind: Json, slot: usize) -> Self {
        Field {
            name,
            alias: "",
            kind,
            slot,
        }
    }

    /// The same field under an older name too (Cloudflare Stream's `errReasonCode`).
    pub(crate) const fn or(self, alias: &'static str) -> Self {
        Field { alias, ..self }
    }

    fn is(&self, key: &[u8]) -> bool {
        key == self.name.as_bytes() || (!self.alias.is_empty() && key == self.alias.as_bytes())
    }

    fn required(&self) -> bool {
        matches!(
            self.kind,
            Json::Str | Json::Bool | Json::U64 | Json::Id | Json::Object(_)
        )
    }

    pub(crate) fn kind(&self) -> Json {
        self.kind
    }
}

/// The fields a JSON object has that a provider reads (at most 32).
pub(crate) struct Object {
    fields: &'static [Field],
    /// Bit `n` set if a field's name (or older name) is `n` bytes long (63: 63 or more), so
    /// most keys that name no field are told apart without comparing them.
    lengths: u64,
}

impl Object {
    pub(crate) const fn new(fields: &'static [Field]) -> Self {
        let mut lengths = 0u64;
        let mut i = 0;
        while i < fields.len() {
            lengths |= length_bit(fields[i].name.len());
            if !fields[i].alias.is_empty() {
                lengths |= length_bit(fields[i].alias.len());
            }
            i += 1;
        }
        Object { fields, lengths }
    }

    pub(crate) fn fields(&self) -> &'static [Field] {
        self.fields
    }

    /// The index of the field a key names.
    pub(crate) fn find(&self, key: &[u8]) -> Option<usize> {
        if self.lengths & length_bit(key.len()) == 0 {
            return None;
        }
        self.fields.iter().position(|f| f.is(key))
    }

    /// Whether every required field is among `seen` (bit `i` for field `i`).
    pub(crate) fn complete(&self, seen: u32) -> bool {
        self.fields
            .iter()
            .enumerate()
            .all(|(i, f)| !f.required() || seen & bit(i) != 0)
    }
}

const fn length_bit(len: usize) -> u64 {
    1 << if len < 63 { len } else { 63 }
}

/// Bit `i` of a set of fields; an object declares at most 32.
pub(crate) fn bit(i: usize) -> u32 {
    1u32.checked_shl(u32::try_from(i).unwrap_or(u32::MAX))
        .unwrap_or(0)
}

/// What a slot holds.
#[cfg_attr(any(test, fuzzing), derive(Debug, PartialEq))]
pub(crate) enum Value<'a> {
    /// The field is missing or `null`.
    Absent,
    Str(Str<'a>),
    Bool(bool),
    U64(u64),
    I64(i64),
    Number(Number),
    /// An object field is there.
    Present,
}

/// The values of a body's fields, by slot; strings borrow from the body where they can.
#[cfg_attr(any(test, fuzzing), derive(Debug, PartialEq))]
pub(crate) struct Fields<'a>([Value<'a>; SLOTS]);

impl<'a> Fields<'a> {
    /// Every slot absent.
    pub(crate) fn new() -> Self {
        Fields(std::array::from_fn(|_| Value::Absent))
    }

    pub(crate) fn set(&mut self, field: &Field, value: Value<'a>) {
        if let Some(slot) = self.0.get_mut(field.slot) {
            *slot = value;
        }
    }

    fn get(&self, slot: usize) -> Option<&Value<'a>> {
        self.0.get(slot)
    }

    /// A string field; a required one is always there.
    pub(crate) fn str(&self, slot: usize) -> Option<&str> {
        match self.get(slot) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// A required string field (`""` never happens: [`super::skim::from_json`] refuses a body
    /// without it).
    pub(crate) fn text(&self, slot: usize) -> &str {
        self.str(slot).unwrap_or_default()
    }

    pub(crate) fn bool(&self, slot: usize) -> Option<bool> {
        match self.get(slot) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn u64(&self, slot: usize) -> Option<u64> {
        match self.get(slot) {
            Some(Value::U64(n)) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn i64(&self, slot: usize) -> Option<i64> {
        match self.get(slot) {
            Some(Value::I64(n)) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn number(&self, slot: usize) -> Option<&Number> {
        match self.get(slot) {
            Some(Value::Number(n)) => Some(n),
            _ => None,
        }
    }

    /// Whether an object (or any) field is there and not `null`.
    pub(crate) fn has(&self, slot: usize) -> bool {
        !matches!(self.get(slot), Some(Value::Absent) | None)
    }

    /// An [`Json::Id`] field as text.
    pub(crate) fn id(&self, slot: usize) -> IdText<'_> {
        match self.get(slot) {
            Some(Value::U64(n)) => IdText::Num(Decimal::unsigned(*n)),
            Some(Value::Str(s)) => IdText::Str(s),
            _ => IdText::Str(""),
        }
    }
}

/// Reads `body` as `wire` declares with `serde_json` (the slow path).
pub(crate) fn serde_read<'a>(
    provider: ProviderId,
    body: &'a [u8],
    wire: &'static Object,
) -> Result<Fields<'a>, ParseError> {
    let mut fields = Fields::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    ObjectSeed {
        object: wire,
        out: &mut fields,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| json_error(provider, &e))?;
    Ok(fields)
}

/// A `serde_json` error as a [`ParseError`] that quotes no payload value.
fn json_error(provider: ProviderId, e: &serde_json::Error) -> ParseError {
    let (line, column) = (e.line(), e.column());
    match e.classify() {
        serde_json::error::Category::Data => {
            let msg = e.to_string();
            // "missing field `x`" names a field, never a value: safe to pass on. Other data
            // errors ("invalid type: string \"…\"") quote the payload, so only the position
            // is kept. Only a message that starts with the words is serde's: a quoted value
            // may contain them too (found by fuzzing, fuzz/regressions/).
            let detail = if msg.starts_with("missing field `") {
                msg.split(" at line")
                    .next()
                    .unwrap_or("missing field")
                    .to_owned()
            } else {
                format!("wrong type or value at line {line}, column {column}")
            };
            ParseError::Shape { provider, detail }
        }
        _ => ParseError::Json { line, column },
    }
}

/// Reads an object's declared fields into slots, as a derived `Deserialize` would read a struct
/// with them: from a JSON object (unknown keys ignored, a field twice refused, required fields
/// checked in order) or from a JSON array, field by field.
struct ObjectSeed<'s, 'a> {
    object: &'static Object,
    out: &'s mut Fields<'a>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_struct("", &[], self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct with {} elements", self.object.fields.len())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = 0u32;
        let fields = self.object.fields;
        while let Some(key) = map.next_key_seed(Key(self.object))? {
            let Some((i, field)) = key.and_then(|i| Some((i, fields.get(i)?))) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if seen & bit(i) != 0 {
                return Err(A::Error::duplicate_field(field.name));
            }
            seen |= bit(i);
            map.next_value_seed(FieldSeed {
                field,
                out: &mut *self.out,
            })?;
        }
        match fields
            .iter()
            .enumerate()
            .find(|(i, f)| f.required() && seen & bit(*i) == 0)
        {
            Some((_, missing)) => Err(A::Error::missing_field(missing.name)),
            None => Ok(()),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for (i, field) in self.object.fields.iter().enumerate() {
            let seed = FieldSeed {
                field,
                out: &mut *self.out,
            };
            if seq.next_element_seed(seed)?.is_none() && field.required() {
                return Err(A::Error::invalid_length(i, &self));
            }
        }
        Ok(())
    }
}

/// A key of an object being read: the index of the field it names, if any.
struct Key(&'static Object);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.find(key.as_bytes()))
    }

    fn visit_bytes<E>(self, key: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.find(key))
    }
}

/// One field's value, read as the type its [`Json`] stands for, into its slot.
struct FieldSeed<'s, 'a> {
    field: &'static Field,
    out: &'s mut Fields<'a>,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let str_or_absent = |s: Option<Str<'de>>| s.map_or(Value::Absent, Value::Str);
        let value = match self.field.kind {
            Json::Str => Value::Str(Str::deserialize(d)?),
            Json::OptStr => str_or_absent(Option::<Str>::deserialize(d)?),
            Json::Bool => Value::Bool(bool::deserialize(d)?),
            Json::OptBool => Option::<bool>::deserialize(d)?.map_or(Value::Absent, Value::Bool),
            Json::U64 => Value::U64(u64::deserialize(d)?),
            Json::OptI64 => Option::<i64>::deserialize(d)?.map_or(Value::Absent, Value::I64),
            Json::Id => match RawId::deserialize(d)? {
                RawId::Num(n) => Value::U64(n),
                RawId::Str(s) => Value::Str(s),
            },
            Json::OptAnyStr => str_or_absent(Option::<AnyStr>::deserialize(d)?.and_then(|a| a.0)),
            Json::FirstStr => str_or_absent(FirstStr::deserialize(d)?.0),
            Json::OptNumber => {
                Option::<Number>::deserialize(d)?.map_or(Value::Absent, Value::Number)
            }
            Json::Object(object) | Json::DefaultObject(object) => {
                ObjectSeed {
                    object,
                    out: &mut *self.out,
                }
                .deserialize(d)?;
                Value::Present
            }
            Json::OptObject(object) => {
                let seed = ObjectSeed {
                    object,
                    out: &mut *self.out,
                };
                match d.deserialize_option(OptObject(seed))? {
                    true => Value::Present,
                    false => Value::Absent,
                }
            }
        };
        self.out.set(self.field, value);
        Ok(())
    }
}

/// An object or `null`, read as an `Option` of a derived struct reads it: whether it was there.
struct OptObject<'s, 'a>(ObjectSeed<'s, 'a>);

impl<'de> Visitor<'de> for OptObject<'_, 'de> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("option")
    }

    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        self.0.deserialize(d).map(|()| true)
    }
}

/// A JSON string of a webhook body: a slice of the body, or a copy where the JSON has escapes
/// to undo. Reads exactly what a `String` reads (the same `deserialize_str`, so the same errors
/// at the same positions), without a copy.
#[cfg_attr(any(test, fuzzing), derive(Debug, PartialEq))]
pub(crate) struct Str<'a>(Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'a> Str<'a> {
    pub(crate) fn borrowed(s: &'a str) -> Self {
        Str(Cow::Borrowed(s))
    }

    pub(crate) fn owned(s: String) -> Self {
        Str(Cow::Owned(s))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(s)))
            }

            fn visit_str<E>(self, s: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A field that may hold any JSON value, of which only a string is used. Reads what a
/// `serde_json::Value` reads, with the same checks and errors (every part through
/// `deserialize_any`), and keeps nothing but a top-level string.
struct AnyStr<'a>(Option<Str<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for AnyStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyStr<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any valid JSON value")
            }

            fn visit_bool<E>(self, _: bool) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(None))
            }

            fn visit_i64<E>(self, _: i64) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(None))
            }

            fn visit_u64<E>(self, _: u64) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(None))
            }

            fn visit_f64<E>(self, _: f64) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(None))
            }

            fn visit_unit<E>(self) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(None))
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(Some(Str(Cow::Borrowed(s)))))
            }

            fn visit_str<E>(self, s: &str) -> Result<AnyStr<'de>, E> {
                Ok(AnyStr(Some(Str(Cow::Owned(s.to_owned())))))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyStr<'de>, A::Error> {
                while seq.next_element::<AnyStr<'de>>()?.is_some() {}
                Ok(AnyStr(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyStr<'de>, A::Error> {
                while map.next_entry::<AnyStr<'de>, AnyStr<'de>>()?.is_some() {}
                Ok(AnyStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// An array of strings of which only the first is used: reads what a `Vec<String>` reads (every
/// element must be a string), without keeping the others.
#[cfg_attr(test, derive(Default))]
struct FirstStr<'a>(Option<Str<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstStr<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstStr<'de>, A::Error> {
                let first = seq.next_element::<Str<'de>>()?;
                if first.is_some() {
                    while seq.next_element::<Str<'de>>()?.is_some() {}
                }
                Ok(FirstStr(first))
            }
        }
        d.deserialize_seq(V)
    }
}

/// An id that a provider sends as a JSON number or a string (Gcore uses numbers).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawId<'a> {
    Num(u64),
    Str(#[serde(borrow)] Str<'a>),
}

/// What [`Fields::id`] gives: no copy of a string id, no allocation for a number.
pub(crate) enum IdText<'a> {
    Num(Decimal),
    Str(&'a str),
}

impl std::ops::Deref for IdText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            IdText::Num(n) => n,
            IdText::Str(s) => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::skim;
    use super::super::test_support::fixtures;
    use super::super::{cloudflare, cloudflare_stream, fastpix, gcore, ivs, livepeer, mux};
    use super::*;

    /// Every provider's declaration, with its route.
    fn wires() -> [(&'static str, &'static Object); 7] {
        [
            ("cloudflare", &cloudflare::WIRE),
            ("cloudflare-stream", &cloudflare_stream::WIRE),
            ("fastpix", &fastpix::WIRE),
            ("gcore", &gcore::WIRE),
            ("ivs", &ivs::WIRE),
            ("livepeer", &livepeer::WIRE),
            ("mux", &mux::WIRE),
        ]
    }

    fn slots(object: &Object, out: &mut Vec<usize>) {
        assert!(object.fields.len() <= 32, "at most 32 fields an object");
        for f in object.fields {
            out.push(f.slot);
            if let Json::Object(o) | Json::DefaultObject(o) | Json::OptObject(o) = f.kind {
                slots(o, out);
            }
        }
    }

    #[test]
    fn every_declared_field_has_a_slot_of_its_own() {
        for (route, wire) in wires() {
            let mut all = Vec::new();
            slots(wire, &mut all);
            let mut distinct = all.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), all.len(), "{route}: a slot used twice");
            assert!(
                all.iter().all(|&s| s < SLOTS),
                "{route}: a slot past {SLOTS}"
            );
        }
    }

    const ID: ProviderId = ProviderId::new("test");

    /// Both readers on one body: serde's answer, after checking that the fast path, where it
    /// answers, reads the same.
    fn both<'a>(body: &'a [u8], wire: &'static Object) -> (bool, Result<Fields<'a>, ParseError>) {
        let slow = serde_read(ID, body, wire);
        let mut fast = Fields::new();
        let answered = skim::read(body, wire, &mut fast).is_some();
        if answered {
            assert_eq!(
                Ok(&fast),
                slow.as_ref(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        (answered, slow)
    }

    #[test]
    fn the_fast_path_reads_every_fixture_as_serde_does() {
        for (route, wire) in wires() {
            for (name, body) in fixtures(route) {
                let (answered, slow) = both(&body, wire);
                if name.ends_with(".json") {
                    assert!(answered, "{route}/{name}: the fast path gave up");
                    assert!(slow.is_ok(), "{route}/{name}");
                }
            }
            // Other providers' bodies: mostly refused, never read differently.
            for (other, _) in wires() {
                for (_, body) in fixtures(other) {
                    let _ = both(&body, wire);
                }
            }
        }
    }

    /// A deterministic generator for mutations.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// What mutations splice in: JSON syntax, escapes, edge numbers, bytes serde refuses.
    const TOKENS: &[&[u8]] = &[
        b"\"",
        b"\\",
        b"\\u0041",
        b"\\ud83d\\ude00",
        b"\\ud800",
        b"\\n",
        b"\\x",
        b"\\/",
        b"null",
        b"true",
        b"false",
        b"nul",
        b"0",
        b"-0",
        b"-1",
        b"1.5",
        b"1e400",
        b"01",
        b"1.",
        b"18446744073709551615",
        b"18446744073709551616",
        b"9223372036854775808",
        b"{}",
        b"[]",
        b"[\"a\",\"b\"]",
        b"{\"a\":[{\"b\":null}]}",
        b",",
        b":",
        b" ",
        b"\t",
        b"\r\n",
        b"\x00",
        b"\x1f",
        b"\x7f",
        b"\xc3\xa9",
        b"\xff",
        b"\xed\xa0\x80",
        b"\"type\":",
        b"\"id\":",
        b"\"data\":",
        b"\"stream\":",
        b"\"status\":",
        b"\"name\":",
        b"\"resources\":",
        b"\"errReasonCode\":",
        b"\"typ\\u0065\":",
    ];

    fn mutate(rng: &mut Rng, body: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
        let mut v = body.to_vec();
        for _ in 0..1 + rng.below(2) {
            let at = rng.below(v.len() + 1);
            match rng.below(6) {
                0 => v.truncate(at),
                1 if at < v.len() => {
                    let n = 1 + rng.below(8).min(v.len() - at - 1);
                    v.drain(at..at + n);
                }
                2 | 3 => {
                    let t = TOKENS[rng.below(TOKENS.len())];
                    v.splice(at..at, t.iter().copied());
                }
                4 => {
                    // A piece of another body, or of this one (a key or a value twice).
                    let other = &pool[rng.below(pool.len())];
                    let from = rng.below(other.len());
                    let to = (from + rng.below(64)).min(other.len());
                    v.splice(at..at, other[from..to].iter().copied());
                }
                _ => v.retain(|&c| c != b'\n' && c != b' '),
            }
        }
        v
    }

    #[test]
    fn the_fast_path_never_reads_a_mutated_body_differently_from_serde() {
        let mut pool = Vec::new();
        for (route, _) in wires() {
            pool.extend(fixtures(route).into_iter().map(|(_, b)| b));
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut answered, mut total) = (0, 0);
        for (route, wire) in wires() {
            let own: Vec<_> = fixtures(route).into_iter().map(|(_, b)| b).collect();
            for _ in 0..3000 {
                let base = &own[rng.below(own.len())];
                let body = mutate(&mut rng, base, &pool);
                answered += usize::from(both(&body, wire).0);
                total += 1;
            }
        }
        // Enough mutations stay well-formed for the comparison to mean something.
        assert!(answered * 10 > total, "{answered} of {total}");
    }

    // The serde path against `#[derive(Deserialize)]` structs with the same fields: one
    // declaration with every kind, read both ways, must give the same values and the same
    // errors (positions included).

    static EVERY_KIND: Object = Object::new(&[
        Field::new("s", Json::Str, 0),
        Field::new("os", Json::OptStr, 1).or("old"),
        Field::new("b", Json::Bool, 2),
        Field::new("ob", Json::OptBool, 3),
        Field::new("u", Json::U64, 4),
        Field::new("oi", Json::OptI64, 5),
        Field::new("id", Json::Id, 6),
        Field::new("any", Json::OptAnyStr, 7),
        Field::new("first", Json::FirstStr, 8),
        Field::new("num", Json::OptNumber, 9),
        Field::new(
            "obj",
            Json::Object(&Object::new(&[Field::new("x", Json::OptStr, 10)])),
            11,
        ),
        Field::new(
            "dobj",
            Json::DefaultObject(&Object::new(&[Field::new("y", Json::Str, 12)])),
            13,
        ),
        Field::new(
            "oobj",
            Json::OptObject(&Object::new(&[Field::new("z", Json::OptStr, 14)])),
            15,
        ),
    ]);

    #[derive(Deserialize)]
    struct Derived<'a> {
        #[serde(borrow)]
        s: Str<'a>,
        #[serde(default, borrow, alias = "old")]
        os: Option<Str<'a>>,
        b: bool,
        #[serde(default)]
        ob: Option<bool>,
        u: u64,
        #[serde(default)]
        oi: Option<i64>,
        #[serde(borrow)]
        id: RawId<'a>,
        #[serde(default, borrow)]
        any: Option<AnyStr<'a>>,
        #[serde(default, borrow)]
        first: FirstStr<'a>,
        #[serde(default)]
        num: Option<Number>,
        #[serde(borrow)]
        obj: DerivedX<'a>,
        #[serde(default, borrow)]
        dobj: DerivedY<'a>,
        #[serde(default, borrow)]
        oobj: Option<DerivedZ<'a>>,
    }

    #[derive(Deserialize)]
    struct DerivedX<'a> {
        #[serde(default, borrow)]
        x: Option<Str<'a>>,
    }

    #[derive(Deserialize)]
    struct DerivedY<'a> {
        #[serde(borrow)]
        y: Str<'a>,
    }

    /// A `dobj` that was not there.
    const NO_Y: &str = "\u{0}absent";

    impl Default for DerivedY<'_> {
        fn default() -> Self {
            DerivedY {
                y: Str::borrowed(NO_Y),
            }
        }
    }

    #[derive(Deserialize)]
    struct DerivedZ<'a> {
        #[serde(default, borrow)]
        z: Option<Str<'a>>,
    }

    impl<'a> Derived<'a> {
        /// The slots `EVERY_KIND` gives the same body.
        fn fields(self) -> Fields<'a> {
            let mut f = Fields::new();
            let str_or_absent = |s: Option<Str<'a>>| s.map_or(Value::Absent, Value::Str);
            let set = |f: &mut Fields<'a>, slot: usize, v| f.0[slot] = v;
            set(&mut f, 0, Value::Str(self.s));
            set(&mut f, 1, str_or_absent(self.os));
            set(&mut f, 2, Value::Bool(self.b));
            set(&mut f, 3, self.ob.map_or(Value::Absent, Value::Bool));
            set(&mut f, 4, Value::U64(self.u));
            set(&mut f, 5, self.oi.map_or(Value::Absent, Value::I64));
            let id = match self.id {
                RawId::Num(n) => Value::U64(n),
                RawId::Str(s) => Value::Str(s),
            };
            set(&mut f, 6, id);
            set(&mut f, 7, str_or_absent(self.any.and_then(|a| a.0)));
            set(&mut f, 8, str_or_absent(self.first.0));
            set(&mut f, 9, self.num.map_or(Value::Absent, Value::Number));
            set(&mut f, 10, str_or_absent(self.obj.x));
            set(&mut f, 11, Value::Present);
            if &*self.dobj.y != NO_Y {
                set(&mut f, 12, Value::Str(self.dobj.y));
            }
            if let Some(z) = self.oobj {
                set(&mut f, 14, str_or_absent(z.z));
                set(&mut f, 15, Value::Present);
            }
            f
        }
    }

    /// The serde path, with the presence of `dobj` (which a derived default cannot tell)
    /// left out.
    fn declared(body: &[u8]) -> Result<Fields<'_>, ParseError> {
        serde_read(ID, body, &EVERY_KIND).map(|mut f| {
            f.0[13] = Value::Absent;
            f
        })
    }

    fn derived(body: &[u8]) -> Result<Fields<'_>, ParseError> {
        serde_json::from_slice::<Derived>(body)
            .map(Derived::fields)
            .map_err(|e| json_error(ID, &e))
    }

    const EVERY_KIND_BODIES: &[&str] = &[
        r#"{"s":"a","os":"b","b":true,"ob":null,"u":5,"oi":-3,"id":7,"any":{"k":[1,2.5]},"first":["x","y"],"num":1.5,"obj":{"x":"q","extra":1},"dobj":{"y":"w"},"oobj":null,"zzz":[{"a":null}]}"#,
        r#"{"s":"a\n\u00e9","old":"b","b":false,"ob":true,"u":0,"oi":null,"id":"7","any":"name","first":[],"num":-0,"obj":{},"oobj":{"z":"r"}}"#,
        r#"{"s":"a","os":"b","old":"c","b":true,"u":1,"id":1,"obj":{}}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},"dobj":null}"#,
        r#"{"s":"a","b":true,"u":1,"id":-1,"obj":{}}"#,
        r#"{"s":"a","b":true,"u":1.0,"id":1,"obj":{}}"#,
        r#"{"s":"a","b":true,"u":18446744073709551616,"id":1,"obj":{}}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},"first":["a",1]}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},"num":1e400}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},"any":{"k":1e400}}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},"oi":9223372036854775808}"#,
        r#"{"s":"a","b":true,"u":1,"id":1}"#,
        r#"{"s":"a","b":true,"id":1,"obj":{}}"#,
        r#"{"b":true,"u":1,"id":1,"obj":{}}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},"dobj":{}}"#,
        r#"{"s":"a","s":"b","b":true,"u":1,"id":1,"obj":{}}"#,
        r#"["a","b",true,null,1,2,3]"#,
        r#"["a","b",true,null,1,2,3,"any",["f"],4,{"x":"y"},{"y":"z"},null]"#,
        r#"["a","b",true,null,1,2,3,"any",["f"],4,{"x":"y"},{"y":"z"},null,"extra"]"#,
        r#"["a"]"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":["q"]}"#,
        r#"{"s":"\ud800","b":true,"u":1,"id":1,"obj":{}}"#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{}} x"#,
        r#"{"typ\u0065":1,"\u0073":"a","b":true,"u":1,"id":1,"obj":{}}"#,
        r#""just a string""#,
        r#"{"s":"a","b":true,"u":1,"id":1,"obj":{},}"#,
    ];

    #[test]
    fn serde_reads_a_declaration_as_it_reads_derived_structs() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let pool: Vec<Vec<u8>> = EVERY_KIND_BODIES
            .iter()
            .map(|b| b.as_bytes().to_vec())
            .collect();
        for body in &pool {
            assert_eq!(
                declared(body),
                derived(body),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        for _ in 0..4000 {
            let base = &pool[rng.below(pool.len())];
            let body = mutate(&mut rng, base, &pool);
            assert_eq!(
                declared(&body),
                derived(&body),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
            // And the fast path, where it answers, agrees.
            let _ = both(&body, &EVERY_KIND);
        }
    }
}
