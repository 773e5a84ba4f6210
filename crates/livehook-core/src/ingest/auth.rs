//! Authentication primitives shared by the providers and the API: the [`Secret`] type, the one
//! error enum of this boundary, constant-time comparison, HMAC-SHA256, the bearer token of the
//! API (header or WebSocket subprotocol) and IP networks. Pure: header values, bodies and
//! configured strings in, never a `worker::Request`. Each provider's own scheme lives in its file
//! under `providers/`.
//!
//! Every comparison is constant-time in the secret's content: shared secrets are compared as
//! SHA-256 digests (so not even their length leaks), signatures through `Mac::verify_slice`.

use std::fmt;
use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A configured secret. `Debug` prints `[redacted]` so it cannot reach a log by accident.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// `None` for a missing or blank value: an unset secret fails closed.
    pub fn new(value: Option<String>) -> Option<Self> {
        value.filter(|v| !v.trim().is_empty()).map(Secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The secret this check needs is not configured: fail closed.
    #[error("{0} is not configured on this worker")]
    NotConfigured(&'static str),
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The sender's address is outside the provider's range.
    #[error("sender address not allowed")]
    IpNotAllowed,
}

/// Constant-time equality of two secrets of any length.
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    let (da, db) = (Sha256::digest(a), Sha256::digest(b));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `presented` against the configured `secret`, in constant time; [`AuthError::Invalid`] naming
/// `what` if they differ.
pub fn expect_secret(
    presented: &str,
    secret: &Secret,
    what: &'static str,
) -> Result<(), AuthError> {
    if secrets_equal(presented.as_bytes(), secret.expose().as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Invalid(what))
    }
}

/// `check` against the current values, and, when it refuses a credential as invalid and a next
/// value is configured, against the next ones: either value is accepted while a secret is
/// rotated. Any other refusal (missing, not configured, wrong sender) stands. The error is the
/// current value's.
pub fn either<T: Copy>(
    current: T,
    next: Option<T>,
    check: impl Fn(T) -> Result<(), AuthError>,
) -> Result<(), AuthError> {
    match (check(current), next) {
        (Err(e @ AuthError::Invalid(_)), Some(next)) => check(next).map_err(|_| e),
        (result, _) => result,
    }
}

/// The `key=value` pairs of a comma-separated signature header (`t=…,v1=…,v1=…`), trimmed.
pub fn header_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header
        .split(',')
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
}

/// A signed timestamp (seconds) within `tolerance_s` of `now_s`, either way.
pub fn fresh(timestamp_s: u64, now_s: u64, tolerance_s: u64) -> bool {
    timestamp_s.abs_diff(now_s) <= tolerance_s
}

/// A signature header of the form `<time>=<unix s>,<sig>=<hex>[,<sig>=<hex>…]` whose signatures
/// are HMAC-SHA256(secret as UTF-8, `"{time}.{raw body}"`): Mux (`t`, `v1`) and Cloudflare
/// Stream (`time`, `sig1`) both sign this way. Several signatures may be sent (while a secret is
/// rolled); one that matches is enough.
#[derive(Debug, Clone, Copy)]
pub struct TimedSignature {
    /// The header, as errors name it (`Mux-Signature header`).
    pub header: &'static str,
    /// What a stale time is called in errors (`Mux-Signature time`).
    pub stale: &'static str,
    pub time_key: &'static str,
    pub sig_key: &'static str,
    /// How far the signed time may be from now, either way (a replay otherwise).
    pub tolerance_s: u64,
}

impl TimedSignature {
    /// Checks `header` over the raw `body` at `now_s`.
    pub fn verify(
        &self,
        secret: &Secret,
        header: Option<&str>,
        body: &[u8],
        now_s: u64,
    ) -> Result<(), AuthError> {
        let header = header.ok_or(AuthError::Missing(self.header))?;
        let invalid = AuthError::Invalid(self.header);
        let mut time = None;
        let mut signatures = Vec::new();
        for (k, v) in header_pairs(header) {
            if k == self.time_key {
                time = Some(v);
            } else if k == self.sig_key {
                signatures.push(v);
            }
        }
        let time_text = time.ok_or(invalid.clone())?;
        let time: u64 = time_text.parse().map_err(|_| invalid.clone())?;
        if !fresh(time, now_s, self.tolerance_s) {
            return Err(AuthError::Invalid(self.stale));
        }
        let parts: [&[u8]; 3] = [time_text.as_bytes(), b".", body];
        let key = secret.expose().as_bytes();
        let ok = signatures
            .iter()
            .filter_map(|sig| crate::text::unhex(sig))
            .any(|sig| hmac_sha256_matches(key, &parts, &sig));
        if ok {
            Ok(())
        } else {
            Err(invalid)
        }
    }

    /// The header for `body` signed at `time` (tests, benchmarks, the load generator).
    pub fn sign(&self, secret: &str, time: u64, body: &[u8]) -> Option<String> {
        let t = time.to_string();
        let mac = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body])?;
        Some(format!(
            "{}={t},{}={}",
            self.time_key,
            self.sig_key,
            crate::text::hex(&mac)
        ))
    }
}

/// HMAC-SHA256 of the concatenated `parts` under `key`. (`None` cannot happen: HMAC takes keys
/// of any length; the type says so only because the `hmac` API does.)
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    Some(mac(key, parts)?.finalize().into_bytes().into())
}

/// Whether `signature` is the HMAC-SHA256 of the concatenated `parts` under `key`
/// (constant-time).
pub fn hmac_sha256_matches(key: &[u8], parts: &[&[u8]], signature: &[u8]) -> bool {
    mac(key, parts).is_some_and(|m| m.verify_slice(signature).is_ok())
}

fn mac(key: &[u8], parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

/// `Authorization: Bearer <token>` for the read API.
pub fn verify_bearer(token: Option<&Secret>, authorization: Option<&str>) -> Result<(), AuthError> {
    let token = token.ok_or(AuthError::NotConfigured("STATUS_API_TOKEN"))?;
    let header = authorization.ok_or(AuthError::Missing("Authorization header"))?;
    let got = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(AuthError::Invalid("Authorization header"))?;
    expect_secret(got.trim(), token, "bearer token")
}

/// Browsers cannot set headers on a WebSocket: the live feed also takes the token as a
/// subprotocol `bearer.<base64url(token)>` in `Sec-WebSocket-Protocol`. Returns the equivalent
/// `Authorization` value.
pub fn bearer_from_protocols(protocols: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let encoded = protocols
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("bearer."))?;
    let token = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    Some(format!("Bearer {}", String::from_utf8(token).ok()?))
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a = s.parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return None;
        }
        // An IPv4-mapped range (`::ffff:a.b.c.d/96` or longer) is the IPv4 range it maps:
        // `contains` compares IPv4 and IPv4-mapped senders with IPv4 ranges only.
        let mapped = match addr {
            IpAddr::V6(v6) if prefix >= 96 => v6.to_ipv4_mapped(),
            _ => None,
        };
        Some(match mapped {
            Some(v4) => Cidr {
                addr: IpAddr::V4(v4),
                prefix: prefix - 96,
            },
            None => Cidr { addr, prefix },
        })
    }

    /// A comma-separated list; `None` if any entry is invalid (fail closed, `/healthz` says so).
    pub fn parse_list(s: &str) -> Option<Vec<Cidr>> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Cidr::parse)
            .collect()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4-mapped IPv6 sender (::ffff:a.b.c.d) is matched against IPv4 ranges.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Option<Secret> {
        Secret::new(Some(s.to_owned()))
    }

    #[test]
    fn bearer_tokens() {
        let t = secret("api");
        assert_eq!(verify_bearer(t.as_ref(), Some("Bearer api")), Ok(()));
        assert!(verify_bearer(t.as_ref(), Some("Bearer apI")).is_err());
        assert!(verify_bearer(t.as_ref(), Some("Basic api")).is_err());
        assert!(verify_bearer(t.as_ref(), Some("api")).is_err());
        assert!(matches!(
            verify_bearer(t.as_ref(), None),
            Err(AuthError::Missing(_))
        ));
        assert!(matches!(
            verify_bearer(None, Some("Bearer api")),
            Err(AuthError::NotConfigured(_))
        ));
    }

    #[test]
    fn cidrs_parse_and_match() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.255.3".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("127.0.0.1")
            .unwrap()
            .contains("127.0.0.1".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(!v6.contains("10.1.0.1".parse().unwrap()));
        assert!(Cidr::parse("::/0")
            .unwrap()
            .contains("::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "::/129", "10.0.0/8", "x", "10.0.0.0/-1", ""] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Cidr::parse_list("92.223.123.0/24, 127.0.0.1/32")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(Cidr::parse_list("92.223.123.0/24,nope"), None);
    }

    #[test]
    fn ipv4_mapped_ranges_match_like_the_ipv4_range_they_map() {
        // Found by fuzzing (fuzz/regressions/auth/): `::ffff:92.223.123.7` parsed, then matched
        // nothing, not even itself, since senders in that form are compared as IPv4.
        let mapped = Cidr::parse("::ffff:92.223.123.0/120").unwrap();
        assert_eq!(Some(mapped), Cidr::parse("92.223.123.0/24"));
        for sender in ["92.223.123.7", "::ffff:92.223.123.7"] {
            assert!(mapped.contains(sender.parse().unwrap()), "{sender}");
        }
        assert!(!mapped.contains("92.223.124.7".parse().unwrap()));
        let one = Cidr::parse("::ffff:92.223.123.7").unwrap();
        assert!(one.contains("::ffff:92.223.123.7".parse().unwrap()));
        assert!(!one.contains("92.223.123.8".parse().unwrap()));
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let got = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]).unwrap();
        assert_eq!(crate::text::hex(&got), want);
        assert!(hmac_sha256_matches(
            b"Jefe",
            &[b"what do ya want for nothing?"],
            &got
        ));
        assert!(!hmac_sha256_matches(
            b"jefe",
            &[b"what do ya want for nothing?"],
            &got
        ));
        assert!(!hmac_sha256_matches(
            b"Jefe",
            &[b"what do ya want for nothing?"],
            &got[..31]
        ));
    }

    #[test]
    fn signature_headers_split_into_pairs() {
        let pairs: Vec<_> = header_pairs("t=1700000000, v1=ab ,v1=cd,junk,v0=").collect();
        assert_eq!(
            pairs,
            [("t", "1700000000"), ("v1", "ab"), ("v1", "cd"), ("v0", "")]
        );
        assert!(fresh(1000, 1300, 300) && fresh(1300, 1000, 300));
        assert!(!fresh(1000, 1301, 300) && !fresh(1301, 1000, 300));
    }

    #[test]
    fn secrets_never_print() {
        let s = secret("hunter2").unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn websocket_subprotocol_carries_the_bearer_token() {
        let token = Secret::new(Some("local-api-token".into()));
        // base64url("local-api-token") = bG9jYWwtYXBpLXRva2Vu
        let auth = bearer_from_protocols("livehook, bearer.bG9jYWwtYXBpLXRva2Vu").unwrap();
        assert_eq!(verify_bearer(token.as_ref(), Some(&auth)), Ok(()));
        let wrong = bearer_from_protocols("bearer.d3Jvbmc").unwrap();
        assert!(verify_bearer(token.as_ref(), Some(&wrong)).is_err());
        assert_eq!(bearer_from_protocols("livehook"), None);
        assert_eq!(bearer_from_protocols("bearer.***"), None);
    }
}
