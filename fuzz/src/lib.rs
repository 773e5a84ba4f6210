//! The checks the fuzz targets run: one public function per target, taking the raw fuzz input.
//! A check panics if livehook panics or breaks an invariant its code states. The core crate's
//! `crates/livehook-core/tests/fuzz_regressions.rs` includes this same file (`#[path]`), so a
//! seed or a crash input replays through exactly what the fuzzer ran.
//!
//! Inputs with several parts (`auth`, `subscribers`) are split at newlines, so seeds stay
//! readable; a part the input does not reach is `None` (a missing header).

use std::net::IpAddr;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use livehook_core::alerts::schedule::{
    parse_duration_ms, parse_retry_after, Schedule, MAX_RETRY_AFTER_MS,
};
use livehook_core::alerts::secret::{SigningSecret, SECRET_BYTES};
use livehook_core::alerts::subscriber::{
    config_subscriber_id, parse_config, parse_create, Format, NewSubscriber, SubscriberError,
    MAX_CODE_LEN, MAX_FILTER_ENTRIES,
};
use livehook_core::alerts::target_url::{Host, TargetUrl};
use livehook_core::alerts::url_policy::validate_url;
use livehook_core::ingest::auth::{
    bearer_from_protocols, secrets_equal, verify_bearer, AuthError, Cidr, Secret,
};
use livehook_core::ingest::event::{
    valid_resource_arn, valid_stream_id, valid_stream_path, Event, State, StatusRecord, TimeSource,
    WarningChange, MAX_STREAM_ID_LEN,
};
use livehook_core::ingest::providers::cloudflare::{self, hint_for};
use livehook_core::ingest::providers::fastpix::{self, signing_key as fastpix_key};
use livehook_core::ingest::providers::gcore;
use livehook_core::ingest::providers::{
    self, ParseError, Parsed, Provider, MAX_ERROR_CODE, MAX_ERROR_MESSAGE, MAX_EVENT_ID,
};
use livehook_core::ingest::providers::{
    cloudflare_stream, ivs, livepeer, mediamtx, mux, nginx_rtmp, ovenmediaengine, srs,
};
use livehook_core::time::{format_rfc3339, parse_http_date, parse_rfc3339, Nanos};

/// The receipt time handed to the parsers (2024-07-09T18:07:51Z).
const RECEIVED_AT: Nanos = 1_720_548_471_000_000_000;

/// The only names a provider parse error may quote: the required fields of the private wire
/// structs (through serde's "missing field") and the fields the parsers name themselves.
const PARSE_ERROR_FIELDS: &[&str] = &[
    "type",
    "id",
    "live",
    "status",
    "data",
    "data.streamId",
    "data.simulcastId",
    "message.stream",
    "message.video",
    "message.broadcast",
    "uid",
    "modified",
    "state",
    "detail-type",
    "source",
    "time",
    "resources",
    "detail",
    "created_at",
    "data.id",
    "event",
    "createdAt",
    "timestamp",
    "stream",
    "stream.id",
    "payload.session",
    "payload.session.assetId",
    "payload.target",
    "action",
    "app",
    "path",
    "request",
    "request.url",
    "direction",
    "url",
];

/// Every `SubscriberError::Invalid` message, digits replaced by `#`. (`SubscriberError::Url`
/// holds a `&'static str`, so it cannot quote the body.)
const SUBSCRIBER_INVALID: &[&str] = &[
    "expected {\"url\": string, \"format\"?: \"webhook\"|\"slack\"|\"discord\"|\"teams\"|\"telegram\"|\"pagerduty\"|\"incidentio\", \"routing_key\"?, \"token\"?, \"chat_id\"?, \"filter\"?: {providers, stream_ids, codes, states, warnings, causes}}",
    "invalid JSON at line # column #",
    "format must be webhook, slack, discord, teams, telegram, pagerduty or incidentio",
    "routing_key applies to format pagerduty only",
    "token applies to format incidentio only",
    "chat_id applies to format telegram only",
    "routing_key is required for format pagerduty",
    "token is required for format incidentio",
    "chat_id is required for format telegram",
    "routing_key must be # to # visible ASCII characters",
    "token must be # to # visible ASCII characters",
    "chat_id must be a Telegram chat id (digits, -#… or @channelname)",
    "url is required for format webhook",
    "url is required for format slack",
    "url is required for format discord",
    "url is required for format teams",
    "url is required for format telegram",
    "url is required for format incidentio",
    "filter: expected {providers?, stream_ids?, codes?, states?, causes?: lists of strings, warnings?: boolean}",
    "filter.causes: unknown cause (errored, offline, warning)",
    "filter.states applies to webhook and chat formats",
    "filter.warnings applies to webhook and chat formats",
    "filter.providers has more than # entries",
    "filter.stream_ids has more than # entries",
    "filter.codes has more than # entries",
    "filter.states has more than # entries",
    "filter.causes has more than # entries",
    "filter.stream_ids has an empty or too long id",
    "filter.codes has an empty or too long code",
    "filter.providers names an unknown provider",
];

/// `cloudflare` target: one Cloudflare Notifications body.
pub fn cloudflare(data: &[u8]) {
    provider(&cloudflare::CLOUDFLARE, data);
}

/// `fastpix` target: one FastPix webhook body.
pub fn fastpix(data: &[u8]) {
    provider(&fastpix::FASTPIX, data);
}

/// `gcore` target: one Gcore webhook body.
pub fn gcore(data: &[u8]) {
    provider(&gcore::GCORE, data);
}

/// `cloudflare_stream` target: one Cloudflare Stream video webhook body.
pub fn cloudflare_stream(data: &[u8]) {
    provider(&cloudflare_stream::CLOUDFLARE_STREAM, data);
}

/// `ivs` target: one Amazon IVS EventBridge event.
pub fn ivs(data: &[u8]) {
    provider(&ivs::IVS, data);
}

/// `mux` target: one Mux webhook body.
pub fn mux(data: &[u8]) {
    provider(&mux::MUX, data);
}

/// `livepeer` target: one Livepeer Studio webhook body.
pub fn livepeer(data: &[u8]) {
    provider(&livepeer::LIVEPEER, data);
}

/// `srs` target: one SRS `http_hooks` call.
pub fn srs(data: &[u8]) {
    provider(&srs::SRS, data);
    // Every call SRS may send, read or refused, gets an answer that lets SRS go on or a 4xx.
    if let Ok(parsed) = providers::parse(&srs::SRS, data, RECEIVED_AT) {
        assert_eq!(
            srs::SRS.reply(&parsed),
            providers::Reply::Json(r#"{"code":0}"#)
        );
    }
}

/// `nginx_rtmp` target: one nginx-rtmp notify call (a form body).
pub fn nginx_rtmp(data: &[u8]) {
    provider(&nginx_rtmp::NGINX_RTMP, data);
    // Every call nginx-rtmp may send, read or refused, gets a 2xx with an empty body or a 4xx.
    if let Ok(parsed) = providers::parse(&nginx_rtmp::NGINX_RTMP, data, RECEIVED_AT) {
        assert_eq!(
            nginx_rtmp::NGINX_RTMP.reply(&parsed),
            providers::Reply::Empty
        );
    }
}

/// `mediamtx` target: one body of the MediaMTX recipe's `curl`.
pub fn mediamtx(data: &[u8]) {
    provider(&mediamtx::MEDIAMTX, data);
}

/// `ovenmediaengine` target: one OvenMediaEngine admission webhook body; and its signature,
/// which accepts the body it signed and refuses a changed byte.
pub fn ovenmediaengine(data: &[u8]) {
    provider(&ovenmediaengine::OVENMEDIAENGINE, data);
    let secret = Secret::new(Some("fuzz-ome-secret".to_owned()));
    let sig = ovenmediaengine::sign("fuzz-ome-secret", data).expect("HMAC takes any key");
    assert_eq!(
        ovenmediaengine::verify(secret.as_ref(), Some(&sig), data),
        Ok(())
    );
    if let Some((first, rest)) = data.split_first() {
        let mut changed = vec![first ^ 1];
        changed.extend_from_slice(rest);
        assert!(ovenmediaengine::verify(secret.as_ref(), Some(&sig), &changed).is_err());
    }
    // Any header value is refused or accepted without a panic.
    let _ = ovenmediaengine::verify(secret.as_ref(), Some(&lossy(data)), data);
}

fn provider(p: &Provider, body: &[u8]) {
    let got = providers::parse(p, body, RECEIVED_AT);
    assert_eq!(
        got,
        providers::parse(p, body, RECEIVED_AT),
        "not deterministic"
    );
    match got {
        Ok(Parsed::Event(e)) => event(p, &e),
        Ok(Parsed::Linked { event: e, also }) => {
            event(p, &e);
            event(p, &also);
            assert_eq!(e.parent_id.as_deref(), Some(also.stream.id.as_str()));
            assert_eq!(also.latest_recording.as_deref(), Some(e.stream.id.as_str()));
        }
        Ok(Parsed::Ignored { stream, .. }) => {
            if let Some(s) = stream {
                assert_eq!(s.provider, p.id());
            }
        }
        Ok(Parsed::Test) => {}
        Ok(Parsed::Heartbeat { start }) => {
            event(p, &start);
            assert_eq!(start.state, State::Live, "a heartbeat stands for a start");
        }
        Err(e) => parse_error(&e),
    }
}

fn event(p: &Provider, e: &Event) {
    assert_eq!(e.stream.provider, p.id());
    // Stream ids are plain, an AWS resource ARN (IVS channels, and only those) or a media
    // server's path (`app/stream`, SRS).
    let id = &e.stream.id;
    let shape_ok = match p.route() {
        "ivs" => valid_resource_arn(id),
        "srs" | "nginx-rtmp" => valid_stream_path(id),
        "mediamtx" | "ovenmediaengine" => valid_stream_id(id) || valid_stream_path(id),
        _ => valid_stream_id(id),
    };
    assert!(shape_ok, "stream id {id:?}");
    assert_eq!(
        e.stream.kv_key(),
        format!(
            "status:{}:{}:{}",
            p.id(),
            e.stream.kind.as_str(),
            e.stream.id
        )
    );
    if let Some(parent) = &e.parent_id {
        assert!(valid_stream_id(parent), "parent id {parent:?}");
    }
    if e.time_source == TimeSource::Receipt {
        assert_eq!(e.occurred_at, RECEIVED_AT);
    }
    // Provider-chosen strings a stream keeps are bounded (the id by its charset and length).
    assert!(
        e.event_id.len() <= MAX_EVENT_ID,
        "event id of {} bytes",
        e.event_id.len()
    );
    if let Some(err) = &e.error {
        assert!(err.code.chars().count() <= MAX_ERROR_CODE);
        assert!(err.message.chars().count() <= MAX_ERROR_MESSAGE);
    }
    if let Some(WarningChange::Raised(w)) = &e.warning {
        assert!(w.code.chars().count() <= MAX_ERROR_CODE);
        assert!(w.message.chars().count() <= MAX_ERROR_MESSAGE);
    }
    // Only an event that keeps the state may change a warning or a recording link; an errored
    // event always says why.
    assert!(e.keeps_state || e.latest_recording.is_none());
    if e.error.is_some() {
        assert!(e.state == State::Errored && !e.keeps_state);
    }
    // Providers with a hint table: an errored event carries its error and the table's hint.
    let hints: Option<fn(&str) -> &'static str> = match p.route() {
        "cloudflare" => Some(hint_for),
        "cloudflare-stream" => Some(cloudflare_stream::hint_for),
        "ivs" => Some(ivs::hint_for),
        // Mux and Livepeer errors are simulcast targets': a hint of their own, never empty.
        "mux" | "livepeer" => {
            let err = e.error.as_ref();
            assert!(err.is_none_or(|err| !err.hint.is_empty()));
            None
        }
        _ => None,
    };
    if let (Some(hint_for), true) = (hints, e.state == State::Errored && !e.keeps_state) {
        let err = e
            .error
            .as_ref()
            .expect("an errored event of a provider with hints carries its error");
        assert_eq!(err.hint, hint_for(&err.code));
    }
    // The stored record's time reads back as the same instant.
    let rec = StatusRecord::from_event(e, None, RECEIVED_AT);
    assert_eq!(
        parse_rfc3339(&rec.updated_at),
        Some(e.occurred_at),
        "{}",
        rec.updated_at
    );
    // The worker hands the event to the stream's Durable Object as JSON.
    let json = serde_json::to_string(e).expect("an event serializes");
    let back: Event = serde_json::from_str(&json).expect("an event's JSON reads back");
    assert_eq!(&back, e);
}

/// Parse errors name fields and positions, never payload values. `Empty`, `Json`, `InvalidId`
/// and `InvalidTime` hold only numbers and `&'static str`; `Shape` has a free-form detail.
fn parse_error(e: &ParseError) {
    let ParseError::Shape { detail, .. } = e else {
        return;
    };
    let named = detail
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'));
    let ok = match named {
        Some(name) => PARSE_ERROR_FIELDS.contains(&name),
        None => digits_as_hash(detail) == "wrong type or value at line #, column #",
    };
    assert!(ok, "error quotes more than a field name or a position: {e}");
}

/// `auth` target: `secret \n header \n ip \n cidrs \n protocols \n body…`. The secret is used as
/// each provider's secret, the header as each provider's header (and Gcore's path token).
pub fn auth(data: &[u8]) {
    let [secret, header, ip, cidrs, protocols, body] = split(data);
    let (secret, header) = (secret.map(lossy), header.map(lossy));
    let (ip, cidrs, protocols) = (ip.map(lossy), cidrs.map(lossy), protocols.map(lossy));
    let body = body.unwrap_or_default();
    let s = Secret::new(secret.clone());
    let configured = s.as_ref().map(Secret::expose);

    if let (Some(a), Some(b)) = (&secret, &header) {
        assert_eq!(secrets_equal(a.as_bytes(), b.as_bytes()), a == b);
    }

    // Cloudflare: the header is the secret, verbatim.
    let cf = cloudflare::verify(s.as_ref(), header.as_deref());
    assert_eq!(
        cf.is_ok(),
        configured.is_some() && header.as_deref() == configured
    );

    // API: `Bearer <token>` (or `bearer `), surrounding whitespace ignored.
    let bearer = verify_bearer(s.as_ref(), header.as_deref());
    let presented = header
        .as_deref()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim);
    assert_eq!(
        bearer.is_ok(),
        configured.is_some() && presented == configured
    );
    if let Some(auth) = protocols.as_deref().and_then(bearer_from_protocols) {
        assert!(auth.starts_with("Bearer "), "{auth:?}");
        let _ = verify_bearer(s.as_ref(), Some(&auth));
    }
    // A token offered as the subprotocol `bearer.<base64url(token)>` authenticates as itself.
    if let Some(token) = configured.filter(|t| t.trim() == *t) {
        let offered = format!("livehook, bearer.{}", URL_SAFE_NO_PAD.encode(token));
        let auth = bearer_from_protocols(&offered);
        assert_eq!(verify_bearer(s.as_ref(), auth.as_deref()), Ok(()));
    }

    // FastPix: whatever the header, no panic; the key from a secret is never empty.
    let _ = fastpix::verify(s.as_ref(), header.as_deref(), body);
    if let Some(key) = s.as_ref().and_then(|s| fastpix_key(s).ok()) {
        assert!(!key.is_empty());
    }
    fastpix_round_trip(secret.as_deref().unwrap_or_default().as_bytes(), body);

    // Gcore: the path token equals the token and the sender is in one of the ranges.
    let sender = ip.as_deref().and_then(|i| i.trim().parse::<IpAddr>().ok());
    let allowed = cidr_list(cidrs.as_deref().unwrap_or_default(), sender);
    let path_token = header.as_deref().unwrap_or_default();
    let gcore = gcore::verify(s.as_ref(), &allowed, path_token, ip.as_deref());
    let expected = configured == Some(path_token)
        && sender.is_some_and(|ip| allowed.iter().any(|c| c.contains(ip)));
    assert_eq!(gcore.is_ok(), expected, "{gcore:?}");

    // IVS: the x-api-key header equals the token, surrounding whitespace ignored.
    let ivs = ivs::verify(s.as_ref(), header.as_deref());
    assert_eq!(
        ivs.is_ok(),
        configured.is_some() && header.as_deref().map(str::trim) == configured
    );

    // The signed schemes: whatever the header, no panic; a body signed now with the secret
    // verifies, and a signature over another body, another secret or an old time does not.
    let now_s = 1_732_352_400;
    let _ = mux::verify(s.as_ref(), header.as_deref(), body, now_s);
    let _ = cloudflare_stream::verify(s.as_ref(), header.as_deref(), body, now_s);
    let _ = livepeer::verify(s.as_ref(), header.as_deref(), body, now_s * 1000);
    if let Some(key) = configured {
        timed_round_trip(key, body, now_s);
    }
}

/// Mux and Cloudflare Stream signatures made by `sign` verify at `now_s` and within the
/// window; over another body, under another secret, or outside the window they do not.
fn timed_round_trip(key: &str, body: &[u8], now_s: u64) {
    let Some(secret) = Secret::new(Some(key.to_owned())) else {
        return;
    };
    for scheme in [mux::SCHEME, cloudflare_stream::SCHEME] {
        let header = scheme
            .sign(key, now_s, body)
            .expect("HMAC takes keys of any length");
        let verify = |h: &str, b: &[u8], n| scheme.verify(&secret, Some(h), b, n);
        assert_eq!(verify(&header, body, now_s), Ok(()));
        assert_eq!(verify(&header, body, now_s + 300), Ok(()));
        assert!(verify(&header, body, now_s + 301).is_err());
        let mut other = body.to_vec();
        other.push(b' ');
        assert!(verify(&header, &other, now_s).is_err());
        let forged = scheme.sign(&format!("{key}x"), now_s, body).expect("HMAC");
        assert!(verify(&forged, body, now_s).is_err());
    }
}

/// A body signed with `fastpix::sign` under a key verifies with that key's base64 secret; the
/// same signature over a changed body, or a changed signature, does not.
fn fastpix_round_trip(key: &[u8], body: &[u8]) {
    let key = if key.is_empty() { b"k".as_slice() } else { key };
    let secret = Secret::new(Some(STANDARD.encode(key)));
    let sig = fastpix::sign(key, body).expect("HMAC takes keys of any length");
    assert_eq!(fastpix::verify(secret.as_ref(), Some(&sig), body), Ok(()));
    let invalid = Err(AuthError::Invalid("FastPix-Signature header"));
    if let Some(&first) = body.first() {
        let mut changed = body.to_vec();
        changed[usize::from(first) % body.len()] ^= 1;
        assert_eq!(
            fastpix::verify(secret.as_ref(), Some(&sig), &changed),
            invalid
        );
        let shorter = &body[..body.len() - 1];
        assert_eq!(
            fastpix::verify(secret.as_ref(), Some(&sig), shorter),
            invalid
        );
    }
    let forged = match sig.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", &sig[1..]),
    };
    assert_eq!(
        fastpix::verify(secret.as_ref(), Some(&forged), body),
        invalid
    );
}

/// `Cidr::parse_list` against a bit-by-bit reference: every entry parses alone, a network
/// contains its own address, and `contains(sender)` agrees with comparing the first `prefix`
/// bits (IPv4-mapped senders, and mapped networks of /96 or longer, count as IPv4).
fn cidr_list(list: &str, sender: Option<IpAddr>) -> Vec<Cidr> {
    let entries: Vec<&str> = list.split(',').filter(|e| !e.trim().is_empty()).collect();
    let Some(cidrs) = Cidr::parse_list(list) else {
        assert!(entries.iter().any(|e| Cidr::parse(e).is_none()));
        return Vec::new();
    };
    assert_eq!(cidrs.len(), entries.len());
    for (cidr, entry) in cidrs.iter().zip(&entries) {
        assert_eq!(Some(*cidr), Cidr::parse(entry));
        let (net, prefix) = match entry.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>(), p.parse::<u32>().ok()),
            None => (entry.trim().parse::<IpAddr>(), None),
        };
        let net = net.expect("an accepted entry's address parses");
        let prefix = prefix.unwrap_or(if net.is_ipv4() { 32 } else { 128 });
        // An IPv4-mapped network is the IPv4 network it maps only from /96 on.
        let (net, prefix) = match net.to_canonical() {
            IpAddr::V4(v4) if net.is_ipv6() && prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
            _ => (net, prefix),
        };
        if net.to_canonical() == net {
            assert!(
                cidr.contains(net),
                "{entry} does not contain its own address"
            );
        }
        if let Some(ip) = sender {
            assert_eq!(
                cidr.contains(ip),
                same_prefix(net, prefix, ip),
                "{entry} vs {ip}"
            );
        }
    }
    cidrs
}

/// `ip` (as IPv4 if it is IPv4-mapped) shares the first `prefix` bits of `net`, same family.
fn same_prefix(net: IpAddr, prefix: u32, ip: IpAddr) -> bool {
    let bits = |a: &[u8], i: u32| a[(i / 8) as usize] >> (7 - i % 8) & 1;
    match (net, ip.to_canonical()) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            (0..prefix).all(|b| bits(&n.octets(), b) == bits(&i.octets(), b))
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            (0..prefix).all(|b| bits(&n.octets(), b) == bits(&i.octets(), b))
        }
        _ => false,
    }
}

/// `subscribers` target. First byte (mod 3): `0` a `POST /subscriptions` body follows; `1` or
/// `2` an `ALERT_WEBHOOK_SECRET` line then an `ALERT_SUBSCRIBERS` list follow (`2` allows
/// loopback targets).
pub fn subscribers(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    whatwg_agrees(&lossy(rest));
    if mode % 3 == 0 {
        return create(rest);
    }
    let [secret, list] = split(rest);
    let list = list.map(lossy).unwrap_or_default();
    config(&list, secret.map(lossy).as_deref(), mode % 3 == 2);
}

/// livehook's strict target URL parser against a WHATWG one (the `url` crate; the runtime's
/// `fetch` follows the same standard): whatever livehook accepts, WHATWG reads to the same
/// scheme, host and port and serializes exactly as livehook stores it; a host livehook takes
/// for a domain is one for WHATWG too.
fn whatwg_agrees(raw: &str) {
    let Ok(ours) = TargetUrl::parse(raw) else {
        return;
    };
    let theirs = url::Url::parse(raw);
    if ours.host() == Host::Ip(None) {
        // An IPv4 notation livehook always refuses: WHATWG reads an address or nothing.
        let domain = theirs.map(|u| matches!(u.host(), Some(url::Host::Domain(_))));
        assert_ne!(domain, Ok(true), "{raw:?}");
        return;
    }
    let theirs = theirs.unwrap_or_else(|e| panic!("{raw:?} accepted here, refused by WHATWG: {e}"));
    assert_eq!(ours.as_str(), theirs.as_str(), "{raw:?}");
    assert_eq!(Some(ours.host_str()), theirs.host_str(), "{raw:?}");
    assert_eq!(
        ours.origin(),
        theirs.origin().ascii_serialization(),
        "{raw:?}"
    );
    match (ours.host(), theirs.host()) {
        (Host::Domain, Some(url::Host::Domain(_))) => {}
        (Host::Ip(Some(IpAddr::V4(a))), Some(url::Host::Ipv4(b))) => assert_eq!(a, b),
        (Host::Ip(Some(IpAddr::V6(a))), Some(url::Host::Ipv6(b))) => assert_eq!(a, b),
        (o, t) => panic!("{raw:?}: host {o:?} here, {t:?} for WHATWG"),
    }
    // As stored, it reads back the same in both.
    assert_eq!(TargetUrl::parse(ours.as_str()).as_ref(), Ok(&ours));
    let stored = url::Url::parse(ours.as_str()).map(String::from);
    assert_eq!(stored.as_deref(), Ok(ours.as_str()));
}

fn create(body: &[u8]) {
    let strict = parse_create(body, false);
    let local = parse_create(body, true);
    if let Ok(s) = &strict {
        assert_eq!(
            local.as_ref(),
            Ok(s),
            "allowing loopback changed an accepted request"
        );
    }
    for (got, allow_loopback) in [(strict, false), (local, true)] {
        match got {
            Ok(s) => new_subscriber(&s, allow_loopback),
            Err(SubscriberError::Invalid(msg)) => {
                let shape = digits_as_hash(&msg);
                assert!(SUBSCRIBER_INVALID.contains(&shape.as_str()), "{msg}");
            }
            Err(SubscriberError::Url(_)) => {}
        }
    }
}

fn new_subscriber(s: &NewSubscriber, allow_loopback: bool) {
    // The URL as stored (and later fetched) is itself a valid target.
    let again = validate_url(&s.url, allow_loopback);
    assert!(again.is_ok(), "{:?} no longer validates: {again:?}", s.url);
    assert!(s.url.starts_with("https://") || (allow_loopback && s.url.starts_with("http://")));
    let f = &s.filter;
    for n in [
        f.providers.len(),
        f.stream_ids.len(),
        f.codes.len(),
        f.states.len(),
        f.causes.len(),
    ] {
        assert!(n <= MAX_FILTER_ENTRIES);
    }
    assert!(f
        .stream_ids
        .iter()
        .all(|i| (1..=MAX_STREAM_ID_LEN).contains(&i.len())));
    assert!(f
        .codes
        .iter()
        .all(|c| (1..=MAX_CODE_LEN).contains(&c.len())));
    // Each format has the credentials it needs, and no other.
    let settings = &s.settings;
    assert_eq!(
        settings.routing_key.is_some(),
        s.format == Format::Pagerduty
    );
    assert_eq!(settings.token.is_some(), s.format == Format::Incidentio);
    assert_eq!(settings.chat_id.is_some(), s.format == Format::Telegram);
    if s.format.is_paging() {
        assert!(f.states.is_empty() && f.warnings.is_none());
    }
    // The worker hands it to the alert hub as JSON.
    let json = serde_json::to_string(s).expect("a new subscriber serializes");
    let back: NewSubscriber = serde_json::from_str(&json).expect("its JSON reads back");
    assert_eq!(&back, s);
}

fn config(list: &str, secret: Option<&str>, allow_loopback: bool) {
    let entries = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .count();
    let got = parse_config(list, secret, allow_loopback);
    assert_eq!(got.subscribers.len() + got.invalid.len(), entries);
    let positions: Vec<usize> = got.invalid.iter().map(|(i, _)| *i).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(
        positions.iter().all(|i| (1..=entries).contains(i)),
        "{positions:?}"
    );
    for (_, why) in &got.invalid {
        assert!(
            why.starts_with("url: ")
                || why == "webhook entries need ALERT_WEBHOOK_SECRET (whsec_…)",
            "{why}"
        );
    }
    for sub in &got.subscribers {
        assert_eq!(sub.id, config_subscriber_id(&sub.url));
        assert!(
            validate_url(&sub.url, allow_loopback).is_ok(),
            "{:?}",
            sub.url
        );
        let signed = sub.secret.is_some();
        match sub.format {
            Format::Webhook => assert!(signed, "a webhook subscriber without a valid secret"),
            Format::Slack | Format::Discord => assert_eq!(sub.secret, None),
            other => panic!("{other:?} is not configurable"),
        }
    }
}

/// `headers` target: the input as one header or setting value, through every small parser.
pub fn headers(data: &[u8]) {
    let s = lossy(data);

    if let Some(ns) = parse_rfc3339(&s) {
        let formatted = format_rfc3339(ns);
        assert_eq!(parse_rfc3339(&formatted), Some(ns), "{formatted}");
    }
    let _ = parse_http_date(&s);

    // Retry-After: capped, and never a longer wait as time passes.
    let waits = [0, RECEIVED_AT as u64 / 1_000_000, u64::MAX].map(|now| parse_retry_after(&s, now));
    assert!(
        waits
            .iter()
            .all(|w| w.is_none_or(|ms| ms <= MAX_RETRY_AFTER_MS)),
        "{waits:?}"
    );
    assert!(
        waits
            .windows(2)
            .all(|w| w[0].is_some() == w[1].is_some() && w[1] <= w[0]),
        "{waits:?}"
    );

    if let Some(ms) = parse_duration_ms(&s) {
        assert_eq!(parse_duration_ms(&format!("{ms}ms")), Some(ms));
    }
    if let Some(schedule) = Schedule::parse(&s) {
        let n = schedule.attempts();
        assert!((1..=20).contains(&n));
        assert_eq!(schedule.delay_before(0), None);
        assert_eq!(schedule.delay_before(n + 1), None);
        assert!((1..=n).all(|i| schedule.delay_before(i).is_some()));
        // `/healthz` shows `describe()`: it reads back as the same schedule.
        assert_eq!(Schedule::parse(&schedule.describe()), Some(schedule));
    }

    if let Some(secret) = SigningSecret::parse(&s) {
        assert!(secret.key().len() >= 16 && s.starts_with("whsec_"));
        assert_eq!(secret.expose(), s);
        assert!(
            !format!("{secret:?}").contains(&s[6..]),
            "a secret printed itself"
        );
    }
    let mut random = [0u8; SECRET_BYTES];
    random.iter_mut().zip(data).for_each(|(r, d)| *r = *d);
    let generated = SigningSecret::generate(&random);
    assert_eq!(
        SigningSecret::parse(generated.expose()).map(|s| s.key().to_vec()),
        Some(random.to_vec())
    );
}

/// The first `N - 1` newline-separated parts of `data` and the rest; `None` past the end.
fn split<const N: usize>(data: &[u8]) -> [Option<&[u8]>; N] {
    let mut parts = data.splitn(N, |&b| b == b'\n');
    std::array::from_fn(|_| parts.next())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `s` with every run of ASCII digits replaced by one `#`.
fn digits_as_hash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}
