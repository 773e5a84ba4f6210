//! The wire formats: what a provider reads of a webhook body, declared once as a tree of
//! [`Field`]s (a provider's `WIRE`: JSON names, the JSON type each must have, and the slot of
//! [`Fields`] its value lands in), and read into [`Fields`] by [`from_json`].
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
//! instantiates its machinery once per struct. Values a field may hold that livehook never
//! needs (credentials, URLs) have no slot: they are skipped, never copied.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;
use serde_json::Number;

use super::shape::ParseError;
use super::skim;
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
pub(crate) struct Fields<'a>([Value<'a>; SLOTS]);

impl<'a> Fields<'a> {
    fn new() -> Self {
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

    /// A required string field (`""` never happens: [`from_json`] refuses a body without it).
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

/// Reads `body` as the object `wire` declares: the fast path where it is sure, else serde, with
/// errors that never echo payload values.
pub(crate) fn from_json<'a>(
    provider: ProviderId,
    body: &'a [u8],
    wire: &'static Object,
) -> Result<Fields<'a>, ParseError> {
    let mut fields = Fields::new();
    if skim::read(body, wire, &mut fields).is_some() {
        return Ok(fields);
    }
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
