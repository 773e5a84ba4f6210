//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for requests to Amazon IVS, written here with
//! `hmac` and `sha2` instead of an AWS SDK. Pure: the request's parts, the credentials and the
//! request time go in; the `Authorization` and `x-amz-date` header values come out, with the
//! canonical request and string to sign that produced them (what AWS's test suite pins).
//!
//! The rules are those AWS documents for every service but S3:
//!
//! - **Path**: [`Request::path`] is the path exactly as it goes on the wire (any
//!   percent-encoding the caller applied included). Its `.` and `..` segments and empty segments
//!   are removed, and each remaining segment is URI-encoded once more: AWS's "each path segment
//!   is URI-encoded twice" for non-S3 services, the first time being the caller's. A path with
//!   nothing but unreserved characters (IVS's `/ListStreams`) is the same either way.
//! - **Query**: [`Request::query`] holds decoded names and values. Each is URI-encoded (RFC 3986:
//!   everything but `A-Z a-z 0-9 - _ . ~` as `%XY`, upper-case hex, per UTF-8 byte) and the pairs
//!   are sorted by encoded name, then encoded value. [`canonical_query_string`] gives the same
//!   string for the URL, so what is sent is what is signed.
//! - **Headers**: `host` and `x-amz-date` are always signed, `x-amz-security-token` when the
//!   credentials carry a session token, plus every header in [`Request::headers`] (e.g.
//!   `content-type`). Names are lower-cased, values trimmed with each inner run of whitespace
//!   collapsed to one space, repeated names joined with `,` in the order given, and the lines
//!   sorted by name.
//! - **Payload**: the lower-case hex SHA-256 of the body (of nothing for a body-less request).
//! - **Key**: HMAC-SHA256 chained over `"AWS4" + secret`, the date, the region, the service and
//!   `aws4_request`.
//!
//! The secret access key and the session token are types whose `Debug` prints `[redacted]`, and
//! no error names a credential or a header value.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::text::hex;
use crate::time::{format_rfc3339, parse_rfc3339};

/// The one algorithm this module signs with.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Header names the signer sets itself; a request may not pass them in [`Request::headers`].
const SET_BY_SIGNER: [&str; 4] = [
    "host",
    "x-amz-date",
    "x-amz-security-token",
    "authorization",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// A request time that is not `YYYYMMDDTHHMMSSZ` or not a real UTC time.
    #[error("invalid request time: expected YYYYMMDDTHHMMSSZ")]
    InvalidTime,
    /// Seconds since the epoch beyond what a four-digit year can carry.
    #[error("request time out of range")]
    TimeOutOfRange,
    /// A part of the request or the credential scope that cannot be signed (names the part,
    /// never its value).
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A header the signer sets itself was passed in.
    #[error("the {0} header is set by the signer")]
    SetBySigner(&'static str),
    /// The HMAC implementation refused a key (it accepts any length: this does not happen).
    #[error("HMAC key rejected")]
    HmacKey,
}

/// An AWS secret access key. `Debug` prints `[redacted]`; the value leaves this module only as
/// the HMAC key it derives.
#[derive(Clone)]
pub struct SecretAccessKey(String);

impl SecretAccessKey {
    /// `None` for a missing or blank value: an unset credential fails closed.
    pub fn new(value: Option<String>) -> Option<Self> {
        value.filter(|v| !v.trim().is_empty()).map(Self)
    }
}

impl fmt::Debug for SecretAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretAccessKey([redacted])")
    }
}

/// A temporary credential's session token. It is sent (as `x-amz-security-token`) and signed;
/// `Debug` prints `[redacted]`.
#[derive(Clone)]
pub struct SessionToken(String);

impl SessionToken {
    /// `None` for a missing or blank value.
    pub fn new(value: Option<String>) -> Option<Self> {
        value.filter(|v| !v.trim().is_empty()).map(Self)
    }

    /// The value for the `x-amz-security-token` header the caller sends with the request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// Who signs: an access key id (public: it travels in the `Authorization` header), its secret,
/// and the session token of temporary credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretAccessKey,
    pub session_token: Option<SessionToken>,
}

/// The request time as SigV4 writes it, `YYYYMMDDTHHMMSSZ` (UTC). Its first eight characters are
/// the date of the credential scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmzDate(String);

impl AmzDate {
    /// From seconds since the Unix epoch (the shell's clock).
    pub fn from_epoch_seconds(seconds: u64) -> Result<Self, SigV4Error> {
        let nanos = i64::try_from(seconds)
            .ok()
            .and_then(|s| s.checked_mul(1_000_000_000))
            .ok_or(SigV4Error::TimeOutOfRange)?;
        // `2015-08-30T12:36:00Z` without its separators.
        let compact: String = format_rfc3339(nanos)
            .chars()
            .filter(|c| *c != '-' && *c != ':')
            .collect();
        if compact.len() != 16 {
            return Err(SigV4Error::TimeOutOfRange);
        }
        Ok(Self(compact))
    }

    /// From an already formatted `YYYYMMDDTHHMMSSZ`, checked to be a real UTC time.
    pub fn parse(value: &str) -> Result<Self, SigV4Error> {
        let b = value.as_bytes();
        let shaped = b.len() == 16
            && b.iter().enumerate().all(|(i, c)| match i {
                8 => *c == b'T',
                15 => *c == b'Z',
                _ => c.is_ascii_digit(),
            });
        if !shaped {
            return Err(SigV4Error::InvalidTime);
        }
        // Checked as `YYYY-MM-DDTHH:MM:SSZ`, which rejects a 13th month or a 25th hour.
        let mut rfc3339 = String::with_capacity(20);
        for (i, c) in value.chars().enumerate() {
            match i {
                4 | 6 => rfc3339.push('-'),
                11 | 13 => rfc3339.push(':'),
                _ => {}
            }
            rfc3339.push(c);
        }
        if parse_rfc3339(&rfc3339).is_none() {
            return Err(SigV4Error::InvalidTime);
        }
        Ok(Self(value.to_owned()))
    }

    /// The `x-amz-date` header value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `YYYYMMDD`, the date of the credential scope.
    fn date(&self) -> &str {
        self.0.get(..8).unwrap_or_default()
    }
}

/// The region and service a request is signed for (`us-west-2`, `ivs`).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
}

/// One HTTP request to sign.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`, … (upper case, as sent).
    pub method: &'a str,
    /// The `Host` header as sent: the host name, with `:port` when the URL names one.
    pub host: &'a str,
    /// The path as it goes on the wire, from `/` (see the module doc). Empty means `/`.
    pub path: &'a str,
    /// Decoded query names and values; send them as [`canonical_query_string`] writes them.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token`, e.g.
    /// `("content-type", "application/json")`. Each is sent with the request as given.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body as sent (empty for none).
    pub body: &'a [u8],
}

/// What signing produced: the two headers to send, and the intermediate strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The `x-amz-date` header value.
    pub amz_date: String,
    /// The canonical request (task 1 of AWS's signing process).
    pub canonical_request: String,
    /// The string to sign (task 2).
    pub string_to_sign: String,
}

/// Signs `request` for `scope` with `credentials` at `time`. The caller sends the request with
/// its headers, `x-amz-date: {amz_date}`, `authorization: {authorization}` and, for temporary
/// credentials, `x-amz-security-token`.
pub fn sign(
    request: &Request<'_>,
    scope: Scope<'_>,
    credentials: &Credentials,
    time: &AmzDate,
) -> Result<Signed, SigV4Error> {
    check_scope_part(scope.region, "region")?;
    check_scope_part(scope.service, "service")?;
    let key_id = credentials.access_key_id.as_str();
    if key_id.is_empty() || !key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(SigV4Error::Invalid("access key id"));
    }
    let (canonical_request, signed_headers) = canonical_request(request, credentials, time)?;

    let credential_scope = format!(
        "{}/{}/{}/aws4_request",
        time.date(),
        scope.region,
        scope.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{credential_scope}\n{}",
        time.as_str(),
        sha256_hex(canonical_request.as_bytes())
    );

    let secret = format!("AWS4{}", credentials.secret_access_key.0);
    let mut key = hmac_sha256(secret.as_bytes(), time.date().as_bytes())?;
    for part in [scope.region, scope.service, "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes())?;
    }
    let signature = hex(&hmac_sha256(&key, string_to_sign.as_bytes())?);

    Ok(Signed {
        authorization: format!(
            "{ALGORITHM} Credential={key_id}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}"
        ),
        amz_date: time.as_str().to_owned(),
        canonical_request,
        string_to_sign,
    })
}

/// The query string of `pairs` as SigV4 signs it: names and values URI-encoded, sorted by name,
/// then value, joined with `&`. Empty for no pairs.
pub fn canonical_query_string(pairs: &[(&str, &str)]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(name, value)| (uri_encode(name), uri_encode(value)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The lower-case hex SHA-256 of `body`: the payload hash of the canonical request (and the
/// value of `x-amz-content-sha256` for a caller that sends that header).
pub fn payload_hash(body: &[u8]) -> String {
    sha256_hex(body)
}

/// The canonical request and its signed-headers list.
fn canonical_request(
    request: &Request<'_>,
    credentials: &Credentials,
    time: &AmzDate,
) -> Result<(String, String), SigV4Error> {
    let method = request.method;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(SigV4Error::Invalid("method"));
    }
    let host = request.host;
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return Err(SigV4Error::Invalid("host"));
    }

    let mut headers: Vec<(String, &str)> = vec![
        ("host".to_owned(), host),
        ("x-amz-date".to_owned(), time.as_str()),
    ];
    if let Some(token) = &credentials.session_token {
        headers.push(("x-amz-security-token".to_owned(), token.expose()));
    }
    for (name, value) in request.headers {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(SigV4Error::Invalid("header name"));
        }
        let name = name.to_ascii_lowercase();
        if let Some(reserved) = SET_BY_SIGNER.iter().find(|r| **r == name) {
            return Err(SigV4Error::SetBySigner(reserved));
        }
        if value.bytes().any(|b| b.is_ascii_control() && !is_space(b)) {
            return Err(SigV4Error::Invalid("header value"));
        }
        headers.push((name, value));
    }
    // Stable: repeated names keep the order they were given in.
    headers.sort_by(|a, b| a.0.cmp(&b.0));

    let mut canonical_headers = String::new();
    let mut signed_headers: Vec<&str> = Vec::new();
    for (name, value) in &headers {
        let value = collapse_whitespace(value);
        if signed_headers.last() == Some(&name.as_str()) {
            canonical_headers.push(',');
        } else {
            if !signed_headers.is_empty() {
                canonical_headers.push('\n');
            }
            canonical_headers.push_str(name);
            canonical_headers.push(':');
            signed_headers.push(name);
        }
        canonical_headers.push_str(&value);
    }
    canonical_headers.push('\n');
    let signed_headers = signed_headers.join(";");

    let canonical_request = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        canonical_uri(request.path)?,
        canonical_query_string(request.query),
        payload_hash(request.body)
    );
    Ok((canonical_request, signed_headers))
}

/// The wire path normalized (no `.`, `..` or empty segments; a trailing `/` kept) with each
/// segment URI-encoded.
fn canonical_uri(path: &str) -> Result<String, SigV4Error> {
    if path.is_empty() {
        return Ok("/".to_owned());
    }
    if !path.starts_with('/') || path.contains(['?', '#']) {
        return Err(SigV4Error::Invalid("path"));
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(
        &segments
            .iter()
            .map(|s| uri_encode(s))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    Ok(out)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, upper-case hex.
fn uri_encode(s: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Trimmed, with each inner run of whitespace (spaces, tabs, folded line breaks) as one space.
fn collapse_whitespace(value: &str) -> String {
    value
        .split([' ', '\t', '\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// An HTTP token character (RFC 9110 `tchar`).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Regions and services are lower-case names (`us-west-2`, `ivs`).
fn check_scope_part(part: &str, what: &'static str) -> Result<(), SigV4Error> {
    if part.is_empty()
        || !part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(SigV4Error::Invalid(what));
    }
    Ok(())
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; 32], SigV4Error> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| SigV4Error::HmacKey)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One case of AWS's Signature Version 4 test suite (the `v4` suite as AWS publishes it in
    /// awslabs/aws-c-auth `tests/aws-signing-test-suite/v4/<name>/`: `request.txt`,
    /// `header-canonical-request.txt`, `header-string-to-sign.txt`, `header-signed-request.txt`).
    /// Every case: `example.amazonaws.com`, region `us-east-1`, service `service`,
    /// `20150830T123600Z`, AKIDEXAMPLE. The path is the request line's; the query is decoded.
    struct Vector {
        name: &'static str,
        method: &'static str,
        path: &'static str,
        query: &'static [(&'static str, &'static str)],
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
        session_token: Option<&'static str>,
        canonical_request: &'static [&'static str],
        /// The last line of the string to sign (the hex SHA-256 of the canonical request).
        string_to_sign_hash: &'static str,
        authorization: &'static str,
    }

    /// The suite's cases that apply to a service other than S3 (paths normalized), except
    /// `get-vanilla-query`, which the suite lists with no query (the same request as
    /// `get-vanilla`), kept for completeness, and `post-sts-header-after`, where the session token
    /// is added after signing, so it is signed with no token.
    const SUITE: &[Vector] = &[
    Vector {
        name: "get-vanilla",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-query",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-vanilla-empty-query-key",
        method: "GET",
        path: "/",
        query: &[("Param1", "value1")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "Param1=value1",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
    },
    Vector {
        name: "get-vanilla-query-order-key-case",
        method: "GET",
        path: "/",
        query: &[("Param2", "value2"), ("Param1", "value1")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "Param1=value1&Param2=value2",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        name: "get-vanilla-query-order-encoded",
        method: "GET",
        path: "/",
        query: &[("Param-3", "Value3"), ("Param", "Value2"), ("ሴ", "Value1")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
    },
    Vector {
        name: "get-vanilla-query-unreserved",
        method: "GET",
        path: "/",
        query: &[("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
    },
    Vector {
        name: "get-vanilla-utf8-query",
        method: "GET",
        path: "/",
        query: &[("ሴ", "bar")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "%E1%88%B4=bar",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
    },
    Vector {
        name: "get-vanilla-with-session-token",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: Some("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            "",
            "host;x-amz-date;x-amz-security-token",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
    },
    Vector {
        name: "get-header-key-duplicate",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "my-header1:value2,value2,value1",
            "x-amz-date:20150830T123600Z",
            "",
            "host;my-header1;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
    },
    Vector {
        name: "get-header-value-multiline",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "value1\n  value2\n     value3")],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "my-header1:value1 value2 value3",
            "x-amz-date:20150830T123600Z",
            "",
            "host;my-header1;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
    },
    Vector {
        name: "get-header-value-order",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "my-header1:value4,value1,value3,value2",
            "x-amz-date:20150830T123600Z",
            "",
            "host;my-header1;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
    },
    Vector {
        name: "get-header-value-trim",
        method: "GET",
        path: "/",
        query: &[],
        headers: &[("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "my-header1:value1",
            "my-header2:\"a b c\"",
            "x-amz-date:20150830T123600Z",
            "",
            "host;my-header1;my-header2;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
    },
    Vector {
        name: "get-unreserved",
        method: "GET",
        path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
    },
    Vector {
        name: "get-utf8",
        method: "GET",
        path: "/ሴ",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/%E1%88%B4",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    },
    Vector {
        name: "get-space-normalized",
        method: "GET",
        path: "/example space/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/example%20space/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
    },
    Vector {
        name: "get-slash-normalized",
        method: "GET",
        path: "//",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slashes-normalized",
        method: "GET",
        path: "//example//",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/example/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
    },
    Vector {
        name: "get-slash-dot-slash-normalized",
        method: "GET",
        path: "/./",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-slash-pointless-dot-normalized",
        method: "GET",
        path: "/./example",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/example",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
    },
    Vector {
        name: "get-relative-normalized",
        method: "GET",
        path: "/example/..",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "get-relative-relative-normalized",
        method: "GET",
        path: "/example1/example2/../..",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "GET",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        name: "post-vanilla",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-vanilla-query",
        method: "POST",
        path: "/",
        query: &[("Param1", "value1")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "Param1=value1",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-vanilla-empty-query-value",
        method: "POST",
        path: "/",
        query: &[("Param1", "value1")],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "Param1=value1",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
    },
    Vector {
        name: "post-header-key-case",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-header-key-sort",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "value1")],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "host:example.amazonaws.com",
            "my-header1:value1",
            "x-amz-date:20150830T123600Z",
            "",
            "host;my-header1;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
    },
    Vector {
        name: "post-header-value-case",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("My-Header1", "VALUE1")],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "host:example.amazonaws.com",
            "my-header1:VALUE1",
            "x-amz-date:20150830T123600Z",
            "",
            "host;my-header1;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
    },
    Vector {
        name: "post-sts-header-before",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: Some("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="),
        canonical_request: &[
            "POST",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "x-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
            "",
            "host;x-amz-date;x-amz-security-token",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
    },
    Vector {
        name: "post-sts-header-after",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[],
        body: b"",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "host:example.amazonaws.com",
            "x-amz-date:20150830T123600Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ],
        string_to_sign_hash: "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        name: "post-x-www-form-urlencoded",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13"), ("X-Amz-Content-Sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")],
        body: b"Param1=value1",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "content-length:13",
            "content-type:application/x-www-form-urlencoded",
            "host:example.amazonaws.com",
            "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            "x-amz-date:20150830T123600Z",
            "",
            "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ],
        string_to_sign_hash: "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
    },
    Vector {
        name: "post-x-www-form-urlencoded-parameters",
        method: "POST",
        path: "/",
        query: &[],
        headers: &[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Content-Length", "13"), ("X-Amz-Content-Sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")],
        body: b"Param1=value1",
        session_token: None,
        canonical_request: &[
            "POST",
            "/",
            "",
            "content-length:13",
            "content-type:application/x-www-form-urlencoded; charset=utf-8",
            "host:example.amazonaws.com",
            "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            "x-amz-date:20150830T123600Z",
            "",
            "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ],
        string_to_sign_hash: "a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422",
    },
    ];

    fn suite_credentials(session_token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".to_owned(),
            secret_access_key: SecretAccessKey::new(Some(
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned(),
            ))
            .expect("suite secret"),
            session_token: session_token.and_then(|t| SessionToken::new(Some(t.to_owned()))),
        }
    }

    const SUITE_SCOPE: Scope<'static> = Scope {
        region: "us-east-1",
        service: "service",
    };

    fn sign_vector(v: &Vector) -> Signed {
        let request = Request {
            method: v.method,
            host: "example.amazonaws.com",
            path: v.path,
            query: v.query,
            headers: v.headers,
            body: v.body,
        };
        let time = AmzDate::parse("20150830T123600Z").expect("suite time");
        sign(
            &request,
            SUITE_SCOPE,
            &suite_credentials(v.session_token),
            &time,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", v.name))
    }

    #[test]
    fn every_vector_of_the_aws_suite_gives_its_canonical_request_string_to_sign_and_authorization()
    {
        assert_eq!(SUITE.len(), 31);
        for v in SUITE {
            let signed = sign_vector(v);
            assert_eq!(
                signed.canonical_request,
                v.canonical_request.join("\n"),
                "{}: canonical request",
                v.name
            );
            assert_eq!(
                signed.string_to_sign,
                format!(
                    "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n{}",
                    v.string_to_sign_hash
                ),
                "{}: string to sign",
                v.name
            );
            assert_eq!(
                signed.authorization, v.authorization,
                "{}: authorization",
                v.name
            );
            assert_eq!(signed.amz_date, "20150830T123600Z", "{}", v.name);
        }
    }

    #[test]
    fn an_ivs_list_streams_request_signs_its_content_type_host_and_date_for_ivs_in_its_region() {
        let request = Request {
            method: "POST",
            host: "ivs.us-west-2.amazonaws.com",
            path: "/ListStreams",
            query: &[],
            headers: &[("content-type", "application/json")],
            body: b"{}",
        };
        // 2026-01-01T00:00:00Z.
        let time = AmzDate::from_epoch_seconds(1_767_225_600).expect("time");
        assert_eq!(time.as_str(), "20260101T000000Z");
        let scope = Scope {
            region: "us-west-2",
            service: "ivs",
        };
        let signed = sign(&request, scope, &suite_credentials(None), &time).expect("signed");

        assert_eq!(signed.amz_date, "20260101T000000Z");
        assert_eq!(
            signed.canonical_request,
            [
                "POST",
                "/ListStreams",
                "",
                "content-type:application/json",
                "host:ivs.us-west-2.amazonaws.com",
                "x-amz-date:20260101T000000Z",
                "",
                "content-type;host;x-amz-date",
                // SHA-256 of `{}`.
                "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            ]
            .join("\n")
        );
        assert!(signed.string_to_sign.starts_with(
            "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-west-2/ivs/aws4_request\n"
        ));
        let prefix =
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-west-2/ivs/aws4_request, \
                      SignedHeaders=content-type;host;x-amz-date, Signature=";
        let signature = signed
            .authorization
            .strip_prefix(prefix)
            .expect("authorization shape");
        assert_eq!(signature.len(), 64);
        assert!(signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        // The same request signed by botocore 1.43.11 (`SigV4Auth(creds, "ivs", "us-west-2")`).
        assert_eq!(
            signature,
            "9bb65698acd8bd8ee6f2388bb016e7010f43bdd7bb9d4c2ecf86b7f875fbbc60"
        );
    }

    #[test]
    fn a_session_token_is_signed_as_x_amz_security_token() {
        let request = Request {
            method: "POST",
            host: "ivs.us-west-2.amazonaws.com",
            path: "/ListStreams",
            query: &[],
            headers: &[("content-type", "application/json")],
            body: b"{}",
        };
        let time = AmzDate::parse("20260101T000000Z").expect("time");
        let scope = Scope {
            region: "us-west-2",
            service: "ivs",
        };
        let signed = sign(&request, scope, &suite_credentials(Some("tok")), &time).expect("signed");
        assert!(signed.canonical_request.contains(
            "\nx-amz-security-token:tok\n\ncontent-type;host;x-amz-date;x-amz-security-token\n"
        ));
        assert!(signed
            .authorization
            .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"));
    }

    #[test]
    fn the_secret_never_appears_in_debug_output_or_errors() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".to_owned(),
            secret_access_key: SecretAccessKey::new(Some(secret.to_owned())).expect("secret"),
            session_token: SessionToken::new(Some("session-token-value".to_owned())),
        };
        let shown = format!("{credentials:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains("session-token-value"), "{shown}");
        assert!(shown.contains("SecretAccessKey([redacted])"), "{shown}");
        assert!(shown.contains("SessionToken([redacted])"), "{shown}");
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
        assert_eq!(
            format!("{:?}", credentials.secret_access_key),
            "SecretAccessKey([redacted])"
        );

        // The signature derives from the secret, the output never holds it.
        let request = Request {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query: &[],
            headers: &[],
            body: b"",
        };
        let time = AmzDate::parse("20150830T123600Z").expect("time");
        let signed = sign(&request, SUITE_SCOPE, &credentials, &time).expect("signed");
        let all = format!("{signed:?}");
        assert!(!all.contains(secret) && !all.contains("wJalrXUtnFEMI"));

        // Failures name the part, never a value.
        let bad_header = Request {
            headers: &[("x-custom", "wJalrXUtnFEMI\u{0}")],
            ..request
        };
        let err = sign(&bad_header, SUITE_SCOPE, &credentials, &time).expect_err("control byte");
        assert_eq!(err, SigV4Error::Invalid("header value"));
        assert!(!err.to_string().contains("wJalrXUtnFEMI"));
        assert!(!format!("{err:?}").contains("wJalrXUtnFEMI"));
    }

    #[test]
    fn blank_credentials_are_not_credentials() {
        assert!(SecretAccessKey::new(None).is_none());
        assert!(SecretAccessKey::new(Some("  ".to_owned())).is_none());
        assert!(SessionToken::new(Some(String::new())).is_none());
    }

    #[test]
    fn the_request_time_is_yyyymmddthhmmssz_in_utc() {
        assert_eq!(
            AmzDate::from_epoch_seconds(1_440_938_160)
                .expect("time")
                .as_str(),
            "20150830T123600Z"
        );
        assert_eq!(
            AmzDate::from_epoch_seconds(0).expect("epoch").as_str(),
            "19700101T000000Z"
        );
        assert_eq!(
            AmzDate::from_epoch_seconds(u64::MAX),
            Err(SigV4Error::TimeOutOfRange)
        );
        assert_eq!(
            AmzDate::parse("20150830T123600Z").expect("valid").as_str(),
            "20150830T123600Z"
        );
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150830T253600Z",
            "20150830T12360éZ",
            "20150830T123600z",
        ] {
            assert_eq!(AmzDate::parse(bad), Err(SigV4Error::InvalidTime), "{bad:?}");
        }
    }

    #[test]
    fn the_query_string_is_encoded_and_sorted_by_name_then_value() {
        assert_eq!(canonical_query_string(&[]), "");
        assert_eq!(
            canonical_query_string(&[("b", "2"), ("a", "z"), ("a", "y"), ("c d", "e/f+g=")]),
            "a=y&a=z&b=2&c%20d=e%2Ff%2Bg%3D"
        );
    }

    #[test]
    fn a_path_segment_already_percent_encoded_is_encoded_once_more() {
        assert_eq!(canonical_uri("/a%20b/c").expect("uri"), "/a%2520b/c");
        assert_eq!(canonical_uri("").expect("uri"), "/");
        assert_eq!(canonical_uri("/a/b/../c/./d/").expect("uri"), "/a/c/d/");
        assert_eq!(canonical_uri("no-slash"), Err(SigV4Error::Invalid("path")));
        assert_eq!(canonical_uri("/a?b=c"), Err(SigV4Error::Invalid("path")));
    }

    #[test]
    fn headers_the_signer_sets_cannot_be_passed_in_and_bad_parts_are_refused() {
        let time = AmzDate::parse("20150830T123600Z").expect("time");
        let credentials = suite_credentials(None);
        let base = Request {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query: &[],
            headers: &[],
            body: b"",
        };
        for (name, reserved) in [
            ("Host", "host"),
            ("X-Amz-Date", "x-amz-date"),
            ("x-amz-security-token", "x-amz-security-token"),
            ("Authorization", "authorization"),
        ] {
            let headers = [(name, "x")];
            let request = Request {
                headers: &headers,
                ..base
            };
            assert_eq!(
                sign(&request, SUITE_SCOPE, &credentials, &time),
                Err(SigV4Error::SetBySigner(reserved))
            );
        }
        let cases: [(Request<'_>, Scope<'_>, &str); 6] = [
            (
                Request {
                    method: "get",
                    ..base
                },
                SUITE_SCOPE,
                "method",
            ),
            (Request { host: "", ..base }, SUITE_SCOPE, "host"),
            (
                Request {
                    host: "a b",
                    ..base
                },
                SUITE_SCOPE,
                "host",
            ),
            (
                Request {
                    headers: &[("bad name", "v")],
                    ..base
                },
                SUITE_SCOPE,
                "header name",
            ),
            (
                base,
                Scope {
                    region: "",
                    service: "ivs",
                },
                "region",
            ),
            (
                base,
                Scope {
                    region: "us-west-2",
                    service: "IVS",
                },
                "service",
            ),
        ];
        for (request, scope, part) in cases {
            assert_eq!(
                sign(&request, scope, &credentials, &time),
                Err(SigV4Error::Invalid(part))
            );
        }
        let no_key_id = Credentials {
            access_key_id: String::new(),
            ..credentials
        };
        assert_eq!(
            sign(&base, SUITE_SCOPE, &no_key_id, &time),
            Err(SigV4Error::Invalid("access key id"))
        );
    }

    #[test]
    fn the_payload_hash_of_nothing_is_the_sha256_of_the_empty_string() {
        assert_eq!(
            payload_hash(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
