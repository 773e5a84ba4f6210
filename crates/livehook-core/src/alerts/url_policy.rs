//! Where livehook may send an alert: the target URL policy. Pure: a URL string in, a parsed
//! [`Url`] or the reason it is refused out (a fixed text that never quotes the URL, which may be
//! a credential).
//!
//! Invariants (each has a test below):
//! - A target is `https` and names a public host. `http` and loopback hosts are accepted only
//!   when the deployment allows loopback targets (local development).
//! - URLs with credentials, and private, link-local, reserved or unspecified IP literals are
//!   refused, including IPv6 forms of IPv4 addresses (mapped, compatible, NAT64, 6to4).
//! - The length limit holds for the URL as stored (serialized), not only as sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

pub const MAX_URL_LEN: usize = 2048;

/// Why a target URL is refused: a fixed text, never the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(pub &'static str);

/// Checks a target URL. `allow_loopback` admits `http` and loopback hosts (local development).
pub fn validate_url(raw: &str, allow_loopback: bool) -> Result<Url, UrlError> {
    if raw.len() > MAX_URL_LEN {
        return Err(UrlError("longer than 2048 characters"));
    }
    let url = Url::parse(raw).map_err(|_| UrlError("not an absolute URL"))?;
    // The URL is stored and fetched as serialized, which percent-encodes: up to three bytes
    // (`%XX`) for each byte of the raw text.
    if url.as_str().len() > MAX_URL_LEN {
        return Err(UrlError("longer than 2048 characters"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError("credentials in the URL are not allowed"));
    }
    let loopback = match url.host() {
        None => return Err(UrlError("no host")),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip))?,
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip))?,
    };
    match (url.scheme(), loopback, allow_loopback) {
        (_, true, false) => Err(UrlError(
            "loopback targets are only allowed in local development",
        )),
        ("https", _, _) | ("http", true, true) => Ok(url),
        _ => Err(UrlError("must be https")),
    }
}

/// Ok(true) for a loopback address, Ok(false) for a public one, Err for anything else.
fn check_ip(ip: IpAddr) -> Result<bool, UrlError> {
    let refused = Err(UrlError(
        "private, link-local or reserved addresses are not allowed",
    ));
    let v4 = match ip {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(v6) if v6.is_loopback() => return Ok(true),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            // An IPv6 form of an IPv4 address is judged as that address.
            Embedded::V4(v4) => v4,
            Embedded::Refused => return refused,
            Embedded::None if reserved_v6(v6) => return refused,
            Embedded::None => return Ok(false),
        },
    };
    if v4.is_loopback() {
        Ok(true)
    } else if reserved_v4(v4) {
        refused
    } else {
        Ok(false)
    }
}

fn reserved_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240
}

fn reserved_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    v6.is_unspecified()
        || v6.is_multicast()
        || v6.is_unique_local()
        || v6.is_unicast_link_local()
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard
}

enum Embedded {
    None,
    V4(Ipv4Addr),
    Refused,
}

/// IPv6 addresses that carry an IPv4 address: mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`. Teredo and local-use NAT64 prefixes
/// are refused outright.
fn embedded_v4(v6: Ipv6Addr) -> Embedded {
    let s = v6.segments();
    let o = v6.octets();
    let last = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0, 0, ..] | [0x64, 0xff9b, 0, 0, 0, 0, ..] => {
            Embedded::V4(last)
        }
        [0x2002, ..] => Embedded::V4(Ipv4Addr::new(o[2], o[3], o[4], o[5])),
        [0x2001, 0, ..] | [0x64, 0xff9b, 1, ..] => Embedded::Refused,
        _ => Embedded::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_and_public() {
        let ok = [
            "https://example.com/hook",
            "https://hooks.slack.com/services/T0/B0/x",
            "https://93.184.216.34/x",
            "https://[2606:4700::1111]/x",
            "https://[64:ff9b::5db8:d822]/x", // NAT64 of a public address
            "https://[2002:5db8:d822::1]/x",  // 6to4 of a public address
        ];
        for u in ok {
            assert!(validate_url(u, false).is_ok(), "{u}");
        }
        let refused = [
            "http://example.com/hook",
            "ftp://example.com/",
            "/relative",
            "https://user:pw@example.com/",
            "https://localhost/x",
            "https://api.localhost/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://10.1.2.3/x",
            "https://172.16.0.1/x",
            "https://192.168.1.1/x",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/x",
            "https://0.0.0.0/x",
            "https://[fd00::1]/x",
            "https://[fe80::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://[::ffff:127.0.0.1]/x",
            // IPv6 forms of IPv4 addresses and reserved blocks.
            "https://[::127.0.0.1]/x",
            "https://[::a00:1]/x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://[64:ff9b:1::1]/x",
            "https://[2002:a9fe:a9fe::]/x",
            "https://[2002:7f00:1::1]/x",
            "https://[2001:0:4136:e378::1]/x",
            "https://[2001:db8::1]/x",
            "https://[fec0::1]/x",
            "https://[100::1]/x",
            "https://192.0.2.1/x",
            "https://198.18.0.1/x",
            "https://192.0.0.8/x",
        ];
        for u in refused {
            assert!(validate_url(u, false).is_err(), "{u}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(validate_url(&long, false).is_err());
    }

    #[test]
    fn the_length_limit_applies_to_the_url_as_stored() {
        // Found by fuzzing (fuzz/regressions/subscribers/): a raw URL under the limit whose
        // serialized, percent-encoded form (`é` → `%C3%A9`) is over it, and fails its own check.
        let raw = format!("https://example.com/{}", "é".repeat(500));
        assert!(raw.len() <= MAX_URL_LEN);
        assert_eq!(
            validate_url(&raw, false).unwrap_err(),
            UrlError("longer than 2048 characters")
        );
        let fits = format!("https://example.com/{}", "é".repeat(100));
        let url = validate_url(&fits, false).unwrap();
        assert!(url.as_str().len() <= MAX_URL_LEN && validate_url(url.as_str(), false).is_ok());
    }

    #[test]
    fn loopback_http_only_when_allowed() {
        for u in [
            "http://127.0.0.1:9000/x",
            "http://localhost:9000/x",
            "https://[::1]/x",
        ] {
            assert!(validate_url(u, true).is_ok(), "{u}");
        }
        // Allowing loopback does not open private networks or plain http elsewhere.
        for u in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "https://192.168.0.1/x",
        ] {
            assert!(validate_url(u, true).is_err(), "{u}");
        }
    }
}
