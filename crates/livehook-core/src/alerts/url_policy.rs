//! Where livehook may send an alert: the target URL policy. Pure: a URL string in, a parsed
//! [`TargetUrl`] or the reason it is refused out (a fixed text that never quotes the URL, which
//! may be a credential).
//!
//! Invariants (each has a test below):
//! - A target is `https` and names a public host. `http` and loopback hosts are accepted only
//!   when the deployment allows loopback targets (local development).
//! - URLs with credentials are refused, and so is every IP literal but loopback: a deployed
//!   Worker cannot fetch an IP-address URL, and private, link-local and metadata addresses are
//!   only reachable as literals. Hosts only.
//! - The length limit holds for the URL as stored (serialized), not only as sent.

use std::net::IpAddr;

use super::target_url::{Host, TargetUrl};

pub const MAX_URL_LEN: usize = 2048;

/// Why a target URL is refused: a fixed text, never the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlError(pub &'static str);

/// Checks a target URL. `allow_loopback` admits `http` and loopback hosts (local development).
pub fn validate_url(raw: &str, allow_loopback: bool) -> Result<TargetUrl, UrlError> {
    if raw.len() > MAX_URL_LEN {
        return Err(UrlError("longer than 2048 characters"));
    }
    let url = TargetUrl::parse(raw).map_err(|e| UrlError(e.0))?;
    // The URL is stored and fetched as serialized, which percent-encodes: up to three bytes
    // (`%XX`) for each byte of the raw text.
    if url.as_str().len() > MAX_URL_LEN {
        return Err(UrlError("longer than 2048 characters"));
    }
    let loopback = match url.host() {
        Host::Domain => {
            let d = url.host_str().trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        Host::Ip(Some(ip)) => check_ip(ip)?,
        Host::Ip(None) => return Err(IP_LITERAL),
    };
    match (url.is_https(), loopback, allow_loopback) {
        (_, true, false) => Err(UrlError(
            "loopback targets are only allowed in local development",
        )),
        (true, _, _) | (false, true, true) => Ok(url),
        _ => Err(UrlError("must be https")),
    }
}

const IP_LITERAL: UrlError =
    UrlError("IP addresses are not allowed (deployed Workers cannot fetch them): use a host name");

/// Ok(true) for a loopback address (local development only); any other IP literal is refused:
/// a deployed Worker cannot `fetch` an IP-address URL (Cloudflare's documented limitation), so
/// its alerts would all die, and a literal is how private and metadata addresses are reached.
fn check_ip(ip: IpAddr) -> Result<bool, UrlError> {
    let loopback = match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    };
    if loopback {
        Ok(true)
    } else {
        Err(IP_LITERAL)
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
            "https://xn--bcher-kva.example/x",
        ];
        for u in ok {
            assert!(validate_url(u, false).is_ok(), "{u}");
        }
        assert_eq!(
            validate_url("https://bücher.example/x", false),
            Err(UrlError(
                "write an internationalized host name in its ASCII (xn--) form"
            ))
        );
        // Non-ASCII in the path is still fine (percent-encoded).
        assert!(validate_url("https://example.com/bücher", false).is_ok());
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
            // Public IP literals too: a deployed Worker cannot fetch an IP-address URL.
            "https://93.184.216.34/x",
            "https://[2606:4700::1111]/x",
            "https://[64:ff9b::5db8:d822]/x", // NAT64 of a public address
            "https://[2002:5db8:d822::1]/x",  // 6to4 of a public address
        ];
        for u in refused {
            assert!(validate_url(u, false).is_err(), "{u}");
        }
        // The answer says why, and how to fix it.
        assert_eq!(
            validate_url("https://93.184.216.34/x", false).unwrap_err(),
            UrlError(
                "IP addresses are not allowed (deployed Workers cannot fetch them): use a host name"
            )
        );
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
