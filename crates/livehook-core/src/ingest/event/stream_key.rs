//! What identifies a stream: its provider ([`ProviderId`]), the kind of resource
//! ([`Kind`]) and the provider's id, together a [`StreamKey`], which builds the KV key and the
//! Durable Object name in exactly one place. Ids of different kinds (a Gcore stream and a Gcore
//! video may both be `12345`) never collide.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest stream id we accept (FastPix documents 255; KV keys allow 512 bytes).
pub const MAX_STREAM_ID_LEN: usize = 255;

/// Longest provider name (`cloudflare-stream` is 17).
pub const MAX_PROVIDER_ID_LEN: usize = 23;

/// A provider's name as routes, KV keys, records and alerts spell it (`cloudflare`, `fastpix`,
/// `gcore`, …): 1 to 23 bytes of `a-z 0-9 - _`. Which names exist is the provider registry's
/// business ([`crate::ingest::providers::REGISTRY`]); this type only carries one, by value
/// (`Copy`, no allocation), so the event model does not depend on the registry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderId {
    len: u8,
    bytes: [u8; MAX_PROVIDER_ID_LEN],
}

impl ProviderId {
    /// For a provider's own `const ID`. An invalid name does not panic: it yields an id that
    /// [`ProviderId::parse`] refuses, which the registry's tests catch.
    pub const fn new(name: &str) -> Self {
        let src = name.as_bytes();
        let mut bytes = [0u8; MAX_PROVIDER_ID_LEN];
        let mut i = 0;
        while i < src.len() && i < MAX_PROVIDER_ID_LEN {
            bytes[i] = src[i];
            i += 1;
        }
        ProviderId {
            len: i as u8,
            bytes,
        }
    }

    /// A well-formed name, known or not.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= MAX_PROVIDER_ID_LEN
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        ok.then(|| Self::new(s))
    }

    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProviderId({:?})", self.as_str())
    }
}

impl Serialize for ProviderId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProviderId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ProviderId::parse(&s).ok_or_else(|| serde::de::Error::custom("not a provider name"))
    }
}

/// What kind of resource a status belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A live input / live stream: the thing an encoder pushes to.
    LiveInput,
    /// A FastPix simulcast (restream) target of a live stream.
    SimulcastTarget,
    /// A Gcore broadcast (a scheduled event built on streams).
    Broadcast,
    /// A Gcore video: an upload or a live stream's recording.
    Video,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::LiveInput,
        Kind::SimulcastTarget,
        Kind::Broadcast,
        Kind::Video,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::LiveInput => "live_input",
            Kind::SimulcastTarget => "simulcast_target",
            Kind::Broadcast => "broadcast",
            Kind::Video => "video",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `(provider, kind, id)`: builds the KV key and the Durable Object name in exactly one place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StreamKey {
    pub provider: ProviderId,
    pub kind: Kind,
    pub id: String,
}

/// Prefix of every status record key in KV.
pub const STATUS_PREFIX: &str = "status:";

impl StreamKey {
    /// Validates the id: 1..=255 bytes of `[A-Za-z0-9._~:-]` (every id the seeds show fits;
    /// anything else is refused rather than escaped, so keys stay readable and unambiguous), an
    /// AWS resource ARN (IVS channels: `arn:aws:ivs:{region}:{account}:channel/{id}`), or a path
    /// of such segments ([`valid_stream_path`]): the shapes allowed a `/`.
    pub fn new(provider: ProviderId, kind: Kind, id: &str) -> Option<Self> {
        (valid_stream_id(id) || valid_resource_arn(id) || valid_stream_path(id)).then(|| {
            StreamKey {
                provider,
                kind,
                id: id.to_owned(),
            }
        })
    }

    /// `{provider}:{kind}:{id}` (its `Display`), for a registered-or-not provider name.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, ':');
        let provider = ProviderId::parse(parts.next()?)?;
        let kind = Kind::parse(parts.next()?)?;
        StreamKey::new(provider, kind, parts.next()?)
    }

    /// `status:{provider}:{kind}:{id}`.
    pub fn kv_key(&self) -> String {
        format!("{STATUS_PREFIX}{self}")
    }

    /// `status:{provider}:` or `status:` (for listing).
    pub fn kv_prefix(provider: Option<ProviderId>) -> String {
        match provider {
            Some(p) => format!("{STATUS_PREFIX}{}:", p.as_str()),
            None => STATUS_PREFIX.to_owned(),
        }
    }
}

impl fmt::Display for StreamKey {
    /// `{provider}:{kind}:{id}`: also the name of the stream's Durable Object.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.provider.as_str(),
            self.kind.as_str(),
            self.id
        )
    }
}

/// `arn:{partition}:{service}:{region}:{account}:{type}/{id}` with plain parts (letters, digits,
/// `-`, and `_`/`.` in the id), at most [`MAX_STREAM_ID_LEN`] bytes.
pub fn valid_resource_arn(id: &str) -> bool {
    let plain = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || extra.contains(&b))
    };
    let mut parts = id.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Some((kind, rid)) = resource.split_once('/') else {
        return false;
    };
    id.len() <= MAX_STREAM_ID_LEN
        && plain(partition, b"")
        && plain(service, b"")
        && plain(region, b"")
        && account.bytes().all(|b| b.is_ascii_digit())
        && !account.is_empty()
        && plain(kind, b"")
        && plain(rid, b"_.")
}

/// A self-hosted media server's stream name: segments of [`valid_stream_id`]'s characters
/// joined by single `/` (`live/cam1`, `vhost/app/stream`), none starting with `.` (so no `.`
/// or `..`), at most [`MAX_STREAM_ID_LEN`] bytes in all.
pub fn valid_stream_path(id: &str) -> bool {
    id.len() <= MAX_STREAM_ID_LEN
        && id.contains('/')
        && id
            .split('/')
            .all(|seg| valid_stream_id(seg) && !seg.starts_with('.'))
}

pub fn valid_stream_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_STREAM_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::super::State;
    use super::*;

    #[test]
    fn keys_of_different_kinds_never_collide() {
        let a = StreamKey::new(ProviderId::new("gcore"), Kind::LiveInput, "12345").unwrap();
        let b = StreamKey::new(ProviderId::new("gcore"), Kind::Video, "12345").unwrap();
        let c = StreamKey::new(ProviderId::new("gcore"), Kind::Broadcast, "12345").unwrap();
        assert_ne!(a.kv_key(), b.kv_key());
        assert_ne!(b.kv_key(), c.kv_key());
        assert_eq!(a.kv_key(), "status:gcore:live_input:12345");
        assert_eq!(a.to_string(), "gcore:live_input:12345");
        assert_eq!(StreamKey::parse("gcore:live_input:12345"), Some(a));
        let with_colon = StreamKey::new(ProviderId::new("mux"), Kind::LiveInput, "a:b").unwrap();
        assert_eq!(StreamKey::parse(&with_colon.to_string()), Some(with_colon));
        for bad in [
            "gcore",
            "gcore:live_input",
            "gcore:nope:1",
            "Gcore:live_input:1",
            "gcore:video:a//b",
            "gcore:video:../b",
        ] {
            assert_eq!(StreamKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn stream_ids_are_validated() {
        assert!(valid_stream_id("eb222fcca08eeb1ae84c981ebe8aeeb6"));
        assert!(valid_stream_id("a0ba2bf6-fe6b-441c-a9be-bf910d223218"));
        assert!(!valid_stream_id(""));
        assert!(!valid_stream_id("a/b"));
        assert!(!valid_stream_id("a b"));
        assert!(!valid_stream_id(&"a".repeat(256)));
        assert!(valid_stream_id(&"a".repeat(255)));
    }

    #[test]
    fn an_ivs_channel_arn_has_a_slash() {
        let arn = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";
        let key = StreamKey::new(ProviderId::new("ivs"), Kind::LiveInput, arn).unwrap();
        assert_eq!(key.kv_key(), format!("status:ivs:live_input:{arn}"));
        assert_eq!(StreamKey::parse(&key.to_string()), Some(key));
        // Not an ARN: the IVS parser refuses these (`valid_resource_arn`; its own test).
        for bad in [
            "arn:aws:ivs:us-west-2:123456789012:channel/a/b",
            "arn:aws:ivs:us-west-2:12345678901x:channel/a",
            "arn:aws:ivs:us-west-2:123456789012:channel/",
            "arn:aws:ivs:us west-2:123456789012:channel/a",
            "../../etc/passwd",
            "a/b",
        ] {
            assert!(!valid_resource_arn(bad), "{bad}");
        }
    }

    #[test]
    fn a_media_servers_stream_path_has_slashes_and_no_dot_segments() {
        for good in [
            "live/cam1",
            "vhost.example/live/cam-1",
            "a/b/c/d",
            "live/_x~y:z",
        ] {
            let key = StreamKey::new(ProviderId::new("srs"), Kind::LiveInput, good).unwrap();
            assert_eq!(key.kv_key(), format!("status:srs:live_input:{good}"));
            assert_eq!(StreamKey::parse(&key.to_string()), Some(key));
        }
        for bad in [
            "/live/cam1",
            "live/cam1/",
            "live//cam1",
            "../../etc/passwd",
            "live/./cam1",
            "live/..",
            "live/.hidden",
            "live/cam 1",
            "live/cam?token=x",
            "live/cam%2F1",
            "/",
        ] {
            assert!(
                StreamKey::new(ProviderId::new("srs"), Kind::LiveInput, bad).is_none(),
                "{bad}"
            );
        }
        let long = format!("live/{}", "a".repeat(MAX_STREAM_ID_LEN - 5));
        assert_eq!(long.len(), MAX_STREAM_ID_LEN);
        assert!(valid_stream_path(&long));
        assert!(!valid_stream_path(&format!("{long}a")));
    }

    #[test]
    fn names_round_trip() {
        for name in ["cloudflare", "fastpix", "gcore", "cloudflare-stream"] {
            let p = ProviderId::parse(name).unwrap();
            assert_eq!((p, p.as_str()), (ProviderId::new(name), name));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<ProviderId>(&json).unwrap(), p);
        }
        for bad in [
            "",
            "Cloudflare",
            "a b",
            "a/b",
            &"a".repeat(MAX_PROVIDER_ID_LEN + 1),
        ] {
            assert_eq!(ProviderId::parse(bad), None, "{bad}");
            assert!(serde_json::from_str::<ProviderId>(&format!("{bad:?}")).is_err());
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
