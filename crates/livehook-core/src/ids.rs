//! The identifiers livehook makes, as types that carry their prefix: [`AlertId`] (`alr_…`),
//! [`SubscriberId`] (`sub_…`), [`IncidentId`] (`inc_…`) and [`MessageId`] (`msg_…`, a delivery's Standard Webhooks
//! `webhook-id`). A value of one of these types always has its prefix and only `[A-Za-z0-9_]`,
//! at most [`MAX_ID_LEN`] bytes: it is safe in a storage key, a URL path and a log line.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::hex;

/// Longest id accepted from a path or storage.
pub const MAX_ID_LEN: usize = 64;

/// Whether `s` could be an id with `prefix`.
fn valid(s: &str, prefix: &str) -> bool {
    s.len() <= MAX_ID_LEN
        && s.len() > prefix.len()
        && s.starts_with(prefix)
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $prefix:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// `None` unless `s` has this id's prefix and shape.
            pub fn parse(s: &str) -> Option<Self> {
                valid(s, $prefix).then(|| Self(s.to_owned()))
            }

            /// The prefix followed by the hex of `bytes` (a digest or random bytes).
            pub fn from_bytes(bytes: &[u8]) -> Self {
                Self(format!("{}{}", $prefix, hex(bytes)))
            }

            /// The prefix, then `tag` (`[a-z_]`), then the hex of `bytes`.
            pub fn tagged(tag: &'static str, bytes: &[u8]) -> Self {
                Self(format!("{}{}{}", $prefix, tag, hex(bytes)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                if valid(&s, $prefix) {
                    Ok(Self(s))
                } else {
                    Err(serde::de::Error::custom(concat!("not a ", $prefix, "… id")))
                }
            }
        }
    };
}

id_type!(
    /// An alert: derived from the provider event's de-duplication key, so the same event
    /// handed over twice is one alert.
    AlertId,
    "alr_"
);
id_type!(
    /// A subscriber: random for API subscribers, `sub_cfg_…` (from the URL) for configured ones.
    SubscriberId,
    "sub_"
);
id_type!(
    /// An incident: one outage of one stream, derived from the stream and the event (or the
    /// moment) that opened it; `inc_storm_…` for the grouped page of a storm.
    IncidentId,
    "inc_"
);
id_type!(
    /// One alert's delivery to one subscriber: the Standard Webhooks `webhook-id`, the same for
    /// every attempt.
    MessageId,
    "msg_"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_prefix_and_shape() {
        let a = AlertId::from_bytes(&[0xab; 12]);
        assert_eq!(a.as_str(), format!("alr_{}", "ab".repeat(12)));
        assert_eq!(AlertId::parse(a.as_str()), Some(a.clone()));
        for bad in [
            "",
            "alr_",
            "sub_abc",
            "alr_a-b",
            "alr_a/b",
            &format!("alr_{}", "a".repeat(61)),
        ] {
            assert_eq!(AlertId::parse(bad), None, "{bad}");
        }
        assert!(SubscriberId::parse("sub_cfg_0123abcd").is_some());
        assert!(MessageId::parse("alr_0123").is_none());
    }

    #[test]
    fn ids_are_json_strings_and_refuse_foreign_ones() {
        let id = SubscriberId::parse("sub_0a1b").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"sub_0a1b\"");
        assert_eq!(
            serde_json::from_str::<SubscriberId>("\"sub_0a1b\"").unwrap(),
            id
        );
        assert!(serde_json::from_str::<SubscriberId>("\"alr_0a1b\"").is_err());
        assert!(serde_json::from_str::<MessageId>("\"msg_../x\"").is_err());
    }
}
