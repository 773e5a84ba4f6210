//! A subscriber's target URL, parsed. Strict on purpose: it reads the `http`/`https` URLs people
//! give for webhooks, serializes them the way the WHATWG URL standard does (the parser behind
//! the runtime's `fetch`), and refuses anything whose reading could differ between a lenient
//! parser and this one: credentials, backslashes, control characters, percent-encoded or
//! non-ASCII host names, dot segments, and every host that the standard reads as an IPv4
//! address in some other notation (`127.1`, `0x7f.1`, `2130706433`) is reported as an IP
//! literal. The URL policy (`url_policy`) then decides who may be a target.
//!
//! Invariant, checked by `cargo test` on a corpus and by the `subscribers` fuzz target against
//! the `url` crate (a WHATWG implementation): whatever this accepts, WHATWG parses to the same
//! scheme, host and port, and serializes to exactly [`TargetUrl::as_str`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A parsed target URL; [`TargetUrl::as_str`] is its serialization (what is stored and fetched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl {
    serialized: String,
    https: bool,
    host: Host,
    /// Byte range of the host in `serialized`.
    host_end: usize,
    /// Where the path starts in `serialized` (after the host and any port).
    path_start: usize,
    /// Where the query (`?`) or else the fragment (`#`) or else the end is.
    path_end: usize,
    has_query: bool,
}

/// The host of a target URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// A domain name (lowercase ASCII).
    Domain,
    /// An address written as one: `[…]`, or a name that the URL standard reads as IPv4.
    /// `None` when it is IPv4 in a notation other than four decimal parts (always refused).
    Ip(Option<IpAddr>),
}

/// Why a URL cannot be read: a fixed text, never the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError(pub &'static str);

const NOT_A_URL: ParseError = ParseError("not an absolute URL");

impl TargetUrl {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        // The standard trims C0 controls and spaces around a URL; inside, refuse them (it would
        // drop tabs and newlines silently).
        let raw = raw.trim_matches(|c: char| c <= ' ');
        if raw.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'\\') {
            return Err(NOT_A_URL);
        }
        let (scheme, rest) = raw.split_once("://").ok_or(NOT_A_URL)?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(ParseError("must be https"));
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(ParseError("credentials in the URL are not allowed"));
        }
        let (host_text, port) = split_port(authority)?;
        let (host_serialized, host) = parse_host(host_text)?;

        let mut out = String::with_capacity(raw.len() + 8);
        out.push_str(if https { "https://" } else { "http://" });
        out.push_str(&host_serialized);
        let host_end = out.len();
        let default_port = if https { 443 } else { 80 };
        if let Some(p) = port.filter(|&p| p != default_port) {
            out.push(':');
            out.push_str(&p.to_string());
        }
        let path_start = out.len();
        let (path, query, fragment) = split_tail(tail);
        if path.is_empty() {
            out.push('/');
        } else {
            if has_dot_segment(path) {
                return Err(ParseError(
                    "dot segments (`.`, `..`) in the path are not allowed",
                ));
            }
            encode_into(&mut out, path, Part::Path);
        }
        let path_end = out.len();
        if let Some(q) = query {
            out.push('?');
            encode_into(&mut out, q, Part::Query);
        }
        if let Some(f) = fragment {
            out.push('#');
            encode_into(&mut out, f, Part::Fragment);
        }
        Ok(TargetUrl {
            serialized: out,
            https,
            host,
            host_end,
            path_start,
            path_end,
            has_query: query.is_some(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.serialized
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    pub fn host(&self) -> Host {
        self.host
    }

    /// The host as serialized (`[…]` around an IPv6 address).
    pub fn host_str(&self) -> &str {
        let start = if self.https { 8 } else { 7 };
        self.serialized
            .get(start..self.host_end)
            .unwrap_or_default()
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        self.serialized.get(..self.path_start).unwrap_or_default()
    }

    pub fn path(&self) -> &str {
        self.serialized
            .get(self.path_start..self.path_end)
            .unwrap_or_default()
    }

    pub fn has_query(&self) -> bool {
        self.has_query
    }
}

impl From<TargetUrl> for String {
    fn from(url: TargetUrl) -> String {
        url.serialized
    }
}

/// `host[:port]`; an empty port is no port (as the standard reads it).
fn split_port(authority: &str) -> Result<(&str, Option<u16>), ParseError> {
    let colon = if authority.starts_with('[') {
        let close = authority.find(']').ok_or(NOT_A_URL)?;
        match authority.get(close + 1..) {
            Some("") => None,
            Some(rest) if rest.starts_with(':') => Some(close + 1),
            _ => return Err(NOT_A_URL),
        }
    } else {
        authority.rfind(':')
    };
    let Some(colon) = colon else {
        return Ok((authority, None));
    };
    let (host, port) = (&authority[..colon], &authority[colon + 1..]);
    if port.is_empty() {
        return Ok((host, None));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NOT_A_URL);
    }
    let digits = port.trim_start_matches('0');
    if digits.len() > 5 {
        return Err(ParseError("port out of range"));
    }
    let n: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().map_err(|_| NOT_A_URL)?
    };
    u16::try_from(n)
        .map(|p| (host, Some(p)))
        .map_err(|_| ParseError("port out of range"))
}

/// The host's serialization and kind.
fn parse_host(text: &str) -> Result<(String, Host), ParseError> {
    if text.is_empty() {
        return Err(ParseError("no host"));
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(NOT_A_URL)?;
        let ip: Ipv6Addr = inner.parse().map_err(|_| NOT_A_URL)?;
        return Ok((
            format!("[{}]", serialize_ipv6(ip)),
            Host::Ip(Some(IpAddr::V6(ip))),
        ));
    }
    if !text.is_ascii() {
        return Err(ParseError(
            "write an internationalized host name in its ASCII (xn--) form",
        ));
    }
    let host = text.to_ascii_lowercase();
    let labels: Vec<&str> = host.strip_suffix('.').unwrap_or(&host).split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if host.len() > 253 || !labels.iter().all(label_ok) {
        return Err(ParseError("not a valid host name"));
    }
    // The URL standard reads a host whose last label is a number (decimal, or 0x hex) as an
    // IPv4 address, in any of several notations.
    let last = labels.last().copied().unwrap_or_default();
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hex || last.bytes().all(|b| b.is_ascii_digit()) {
        let dotted = (labels.len() == 4)
            .then(|| {
                host.strip_suffix('.')
                    .unwrap_or(&host)
                    .parse::<Ipv4Addr>()
                    .ok()
            })
            .flatten();
        // An address is stored as the standard writes it (`127.0.0.1.` is `127.0.0.1`; found by
        // the fuzz target's WHATWG oracle, fuzz/regressions/subscribers/).
        let serialized = dotted.map_or(host, |ip| ip.to_string());
        return Ok((serialized, Host::Ip(dotted.map(IpAddr::V4))));
    }
    Ok((host, Host::Domain))
}

/// An IPv6 address as the URL standard serializes it (RFC 5952 compression, lowercase hex, no
/// embedded IPv4 notation).
fn serialize_ipv6(ip: Ipv6Addr) -> String {
    let s = ip.segments();
    // The longest run of two or more zero pieces, the first if tied.
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &piece) in s.iter().enumerate() {
        if piece == 0 {
            run = if run.1 == 0 {
                (i, 1)
            } else {
                (run.0, run.1 + 1)
            };
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run = (0, 0);
        }
    }
    let mut out = String::with_capacity(39);
    let mut i = 0;
    while i < 8 {
        if best.1 >= 2 && i == best.0 {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best.1;
            continue;
        }
        out.push_str(&format!("{:x}", s[i]));
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// Path, query and fragment of what follows the authority.
fn split_tail(tail: &str) -> (&str, Option<&str>, Option<&str>) {
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (tail, None),
    };
    match before_fragment.split_once('?') {
        Some((p, q)) => (p, Some(q), fragment),
        None => (before_fragment, None, fragment),
    }
}

/// A path segment the standard would resolve (`.`, `..`, or either written with `%2e`).
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|seg| {
        let s = seg.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    })
}

#[derive(Clone, Copy)]
enum Part {
    Path,
    Query,
    Fragment,
}

/// Appends `text`, percent-encoding what the standard encodes in that part (and every
/// non-ASCII byte, as UTF-8).
fn encode_into(out: &mut String, text: &str, part: Part) {
    for &b in text.as_bytes() {
        let encode = !b.is_ascii()
            || match part {
                Part::Path => matches!(b, b' ' | b'"' | b'<' | b'>' | b'`' | b'{' | b'}'),
                Part::Query => matches!(b, b' ' | b'"' | b'<' | b'>' | b'\''),
                Part::Fragment => matches!(b, b' ' | b'"' | b'<' | b'>' | b'`'),
            };
        if encode {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 0xf)]));
        } else {
            out.push(char::from(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs that must read the same here and in a WHATWG parser (the `url` crate).
    pub(crate) const CORPUS: &[&str] = &[
        "https://example.com/hook",
        "HTTPS://Example.COM:443/Hook?A=1#frag",
        "https://example.com",
        "https://example.com:8443",
        "https://example.com:/x",
        "https://example.com:00443/x",
        "http://localhost:9000/x",
        "https://hooks.slack.com/services/T0/B0/x",
        "https://xn--bcher-kva.example/x",
        "https://example.com/bücher?q=ä b'c\"d#f ä",
        "https://example.com/a b<c>`{}|^",
        "https://example.com/%zz%41?x=%",
        "https://example.com?only=query",
        "https://example.com#only-fragment",
        "https://example.com./trailing-dot",
        "https://under_score.example.com/",
        "https://1.example.com/",
        "https://[::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[2001:DB8:0:0:1:0:0:1]/x",
        "https://[0:0:0:0:0:0:0:1]:8080/",
        "https://[1:0:0:2:0:0:0:3]/",
        "https://127.0.0.1/x",
        "https://127.0.0.1./x",
        "\nhttpS://127.0.0.181.//01wh",
        "  https://example.com/padded  ",
    ];

    #[test]
    fn reads_and_serializes_as_the_url_standard_does() {
        for raw in CORPUS {
            let ours = TargetUrl::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
            let theirs = url::Url::parse(raw).unwrap();
            assert_eq!(ours.as_str(), theirs.as_str(), "{raw}");
            assert_eq!(Some(ours.host_str()), theirs.host_str(), "{raw}");
            assert_eq!(ours.path(), theirs.path(), "{raw}");
            assert_eq!(ours.has_query(), theirs.query().is_some(), "{raw}");
            assert_eq!(
                ours.origin(),
                theirs.origin().ascii_serialization(),
                "{raw}"
            );
            let ip = matches!(theirs.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)));
            assert_eq!(matches!(ours.host(), Host::Ip(_)), ip, "{raw}");
            // Stored, then read again: the same URL.
            assert_eq!(TargetUrl::parse(ours.as_str()).as_ref(), Ok(&ours));
        }
    }

    #[test]
    fn every_other_ipv4_notation_is_an_ip_literal() {
        for raw in [
            "https://127.1/",
            "https://0x7f.1/",
            "https://0x7f000001/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://127.000.0.1/",
            "https://1.2.3/",
            "https://evil.com.1/",
            "https://example.0x10/",
        ] {
            assert_eq!(
                TargetUrl::parse(raw).map(|u| u.host()),
                Ok(Host::Ip(None)),
                "{raw}"
            );
            // The standard reads an IPv4 address too, or refuses the URL: never a domain.
            let whatwg =
                url::Url::parse(raw).map(|u| matches!(u.host(), Some(url::Host::Domain(_))));
            assert_ne!(whatwg, Ok(true), "{raw}");
        }
        let dotted = TargetUrl::parse("https://10.1.2.3/").unwrap().host();
        assert_eq!(dotted, Host::Ip(Some("10.1.2.3".parse().unwrap())));
    }

    #[test]
    fn anything_a_lenient_parser_might_read_otherwise_is_refused() {
        for raw in [
            "/relative",
            "example.com/x",
            "ftp://example.com/",
            "https:example.com",
            "https:/example.com",
            "https://",
            "https:///x",
            "https://user:pw@example.com/",
            "https://@example.com/",
            "https://evil.com\\@good.com/",
            "https://example.com\\x",
            "https://exa\tmple.com/",
            "https://example.com/a\nb",
            "https://ex%41mple.com/",
            "https://exa mple.com/",
            "https://bücher.example/",
            "https://example..com/",
            "https://example.com:65536/",
            "https://example.com:99999999/",
            "https://example.com:8a/",
            "https://[::1/",
            "https://[::1]x/",
            "https://[fe80::1%25eth0]/",
            "https://[1.2.3.4]/",
            "https://example.com/a/../b",
            "https://example.com/./b",
            "https://example.com/a/%2E%2e/b",
            "https://example.com/a/.",
            "javascript:alert(1)",
            "data:text/plain,x",
        ] {
            assert!(TargetUrl::parse(raw).is_err(), "{raw}");
        }
        assert_eq!(
            TargetUrl::parse("https://bücher.example/x"),
            Err(ParseError(
                "write an internationalized host name in its ASCII (xn--) form"
            ))
        );
    }
}
