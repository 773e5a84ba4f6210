//! Authentication of webhooks and API callers. Pure: takes header values, bodies and
//! configuration strings, never a `worker::Request`.
//!
//! | provider   | scheme                                                                      |
//! |------------|-----------------------------------------------------------------------------|
//! | cloudflare | `cf-webhook-auth` header equals `CF_WEBHOOK_SECRET`                         |
//! | fastpix    | `FastPix-Signature` = base64(HMAC-SHA256(base64-decoded secret, raw body))  |
//! | gcore      | path token equals `GCORE_WEBHOOK_TOKEN` and sender IP in `GCORE_ALLOWED_CIDRS` |
//! | API        | `Authorization: Bearer <STATUS_API_TOKEN>`                                  |
//!
//! Every comparison is constant-time in the secret's content: shared secrets are compared as
//! SHA-256 digests (so not even their length leaks), signatures through `Mac::verify_slice`.

use std::fmt;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
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

/// Cloudflare Notifications: the destination's secret is sent verbatim in `cf-webhook-auth`.
pub fn verify_cloudflare(secret: Option<&Secret>, header: Option<&str>) -> Result<(), AuthError> {
    let secret = secret.ok_or(AuthError::NotConfigured("CF_WEBHOOK_SECRET"))?;
    let got = header.ok_or(AuthError::Missing("cf-webhook-auth header"))?;
    if secrets_equal(got.as_bytes(), secret.expose().as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Invalid("cf-webhook-auth header"))
    }
}

/// The FastPix signing key: the dashboard's secret is base64; the HMAC key is its decoded bytes.
pub fn fastpix_key(secret: &Secret) -> Result<Vec<u8>, AuthError> {
    STANDARD
        .decode(secret.expose().trim())
        .ok()
        .filter(|k| !k.is_empty())
        .ok_or(AuthError::NotConfigured(
            "FASTPIX_WEBHOOK_SECRET (as base64)",
        ))
}

/// FastPix: `FastPix-Signature` is base64(HMAC-SHA256(key, raw body)). FastPix sends no
/// timestamp, so replays are caught by event de-duplication, not here.
pub fn verify_fastpix(
    secret: Option<&Secret>,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), AuthError> {
    let secret = secret.ok_or(AuthError::NotConfigured("FASTPIX_WEBHOOK_SECRET"))?;
    let key = fastpix_key(secret)?;
    let header = header.ok_or(AuthError::Missing("FastPix-Signature header"))?;
    let invalid = AuthError::Invalid("FastPix-Signature header");
    let sig = STANDARD
        .decode(header.trim())
        .map_err(|_| invalid.clone())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| invalid.clone())?;
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| invalid)
}

/// Computes a FastPix signature (tests, benchmarks and the load generator use it).
pub fn sign_fastpix(key: &[u8], body: &[u8]) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(body);
    Some(STANDARD.encode(mac.finalize().into_bytes()))
}

/// Gcore signs nothing: the URL carries a token and the sender must be in the published range.
pub fn verify_gcore(
    token: Option<&Secret>,
    allowed: &[Cidr],
    path_token: &str,
    sender_ip: Option<&str>,
) -> Result<(), AuthError> {
    let token = token.ok_or(AuthError::NotConfigured("GCORE_WEBHOOK_TOKEN"))?;
    // The address first: a sender outside the range gets the same 403 whatever token it tries,
    // so it cannot use the answer to guess the token.
    let ip: IpAddr = sender_ip
        .ok_or(AuthError::Missing("CF-Connecting-IP"))?
        .trim()
        .parse()
        .map_err(|_| AuthError::IpNotAllowed)?;
    if !allowed.iter().any(|c| c.contains(ip)) {
        return Err(AuthError::IpNotAllowed);
    }
    if secrets_equal(path_token.as_bytes(), token.expose().as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Invalid("webhook token"))
    }
}

/// `Authorization: Bearer <token>` for the read API.
pub fn verify_bearer(token: Option<&Secret>, authorization: Option<&str>) -> Result<(), AuthError> {
    let token = token.ok_or(AuthError::NotConfigured("STATUS_API_TOKEN"))?;
    let header = authorization.ok_or(AuthError::Missing("Authorization header"))?;
    let got = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or(AuthError::Invalid("Authorization header"))?;
    if secrets_equal(got.trim().as_bytes(), token.expose().as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::Invalid("bearer token"))
    }
}

/// Browsers cannot set headers on a WebSocket: the live feed also takes the token as a
/// subprotocol `bearer.<base64url(token)>` in `Sec-WebSocket-Protocol`. Returns the equivalent
/// `Authorization` value.
pub fn bearer_from_protocols(protocols: &str) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

    // A fixed vector, computed independently with:
    //   printf '%s' '{"type":"video.live_stream.active"}' |
    //     openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf 'livehook-fastpix-test-key' | xxd -p) -binary | base64
    const FP_SECRET_B64: &str = "bGl2ZWhvb2stZmFzdHBpeC10ZXN0LWtleQ==";
    const FP_BODY: &[u8] = br#"{"type":"video.live_stream.active"}"#;
    const FP_SIG: &str = "cn/B3sWxAttTPGphXyFtUWddvuu1qCvWq3Cz5QqSl50=";

    #[test]
    fn fastpix_signature_matches_the_fixed_vector() {
        let s = secret(FP_SECRET_B64);
        assert_eq!(verify_fastpix(s.as_ref(), Some(FP_SIG), FP_BODY), Ok(()));
        let key = fastpix_key(s.as_ref().unwrap()).unwrap();
        assert_eq!(key, b"livehook-fastpix-test-key");
        assert_eq!(sign_fastpix(&key, FP_BODY).as_deref(), Some(FP_SIG));
    }

    #[test]
    fn fastpix_rejects_every_forgery() {
        let s = secret(FP_SECRET_B64);
        let wrong_key = sign_fastpix(b"another-key", FP_BODY).unwrap();
        let truncated = &FP_SIG[..20];
        let invalid = Err(AuthError::Invalid("FastPix-Signature header"));
        assert_eq!(
            verify_fastpix(s.as_ref(), Some(&wrong_key), FP_BODY),
            invalid
        );
        assert_eq!(
            verify_fastpix(s.as_ref(), Some(truncated), FP_BODY),
            invalid
        );
        assert_eq!(
            verify_fastpix(s.as_ref(), Some("not base64!"), FP_BODY),
            invalid
        );
        assert_eq!(verify_fastpix(s.as_ref(), Some(""), FP_BODY), invalid);
        assert_eq!(
            verify_fastpix(s.as_ref(), Some(FP_SIG), b"{\"type\":\"x\"}"),
            invalid
        );
        assert_eq!(
            verify_fastpix(s.as_ref(), None, FP_BODY),
            Err(AuthError::Missing("FastPix-Signature header"))
        );
        assert_eq!(
            verify_fastpix(None, Some(FP_SIG), FP_BODY),
            Err(AuthError::NotConfigured("FASTPIX_WEBHOOK_SECRET"))
        );
        // A secret that is not base64 cannot be a FastPix signing secret: fail closed.
        assert!(matches!(
            verify_fastpix(secret("not*base64").as_ref(), Some(FP_SIG), FP_BODY),
            Err(AuthError::NotConfigured(_))
        ));
    }

    #[test]
    fn cloudflare_compares_the_shared_secret() {
        let s = secret("cf-secret");
        assert_eq!(verify_cloudflare(s.as_ref(), Some("cf-secret")), Ok(()));
        assert!(matches!(
            verify_cloudflare(s.as_ref(), Some("cf-secreT")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            verify_cloudflare(s.as_ref(), Some("cf-secret ")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            verify_cloudflare(s.as_ref(), Some("")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            verify_cloudflare(s.as_ref(), None),
            Err(AuthError::Missing(_))
        ));
        assert!(matches!(
            verify_cloudflare(None, Some("x")),
            Err(AuthError::NotConfigured(_))
        ));
        assert!(matches!(
            verify_cloudflare(secret("  ").as_ref(), Some("  ")),
            Err(AuthError::NotConfigured(_))
        ));
    }

    #[test]
    fn gcore_needs_the_token_and_an_address_in_range() {
        let t = secret("tok");
        let cidrs = Cidr::parse_list("92.223.123.0/24").unwrap();
        assert_eq!(
            verify_gcore(t.as_ref(), &cidrs, "tok", Some("92.223.123.7")),
            Ok(())
        );
        assert_eq!(
            verify_gcore(t.as_ref(), &cidrs, "tok", Some("::ffff:92.223.123.7")),
            Ok(())
        );
        assert_eq!(
            verify_gcore(t.as_ref(), &cidrs, "tok", Some("92.223.124.7")),
            Err(AuthError::IpNotAllowed)
        );
        assert_eq!(
            verify_gcore(t.as_ref(), &cidrs, "tok", Some("garbage")),
            Err(AuthError::IpNotAllowed)
        );
        assert!(matches!(
            verify_gcore(t.as_ref(), &cidrs, "tok", None),
            Err(AuthError::Missing(_))
        ));
        assert!(matches!(
            verify_gcore(t.as_ref(), &cidrs, "tok2", Some("92.223.123.7")),
            Err(AuthError::Invalid(_))
        ));
        assert!(matches!(
            verify_gcore(None, &cidrs, "tok", Some("92.223.123.7")),
            Err(AuthError::NotConfigured(_))
        ));
        assert_eq!(
            verify_gcore(t.as_ref(), &[], "tok", Some("92.223.123.7")),
            Err(AuthError::IpNotAllowed)
        );
    }

    #[test]
    fn gcore_senders_outside_the_range_learn_nothing_about_the_token() {
        let t = secret("tok");
        let cidrs = Cidr::parse_list("92.223.123.0/24").unwrap();
        for token in ["tok", "to", "tok2", ""] {
            assert_eq!(
                verify_gcore(t.as_ref(), &cidrs, token, Some("203.0.113.9")),
                Err(AuthError::IpNotAllowed),
                "{token}"
            );
        }
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
