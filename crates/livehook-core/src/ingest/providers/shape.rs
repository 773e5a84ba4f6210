//! The shape every provider has: the [`Provider`] declaration, what authentication sees of a
//! request ([`Inbound`]), what a body turns out to be ([`Parsed`]), why one is refused
//! ([`ParseError`]), and the helpers provider files share. The registry (`super`) lists the providers; this file
//! knows none of them.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::ingest::auth::{either, expect_secret, AuthError};
use crate::ingest::event::{Event, Kind, ProviderId, State, StreamKey, WarningChange};
use crate::ingest::settings::{Setting, Settings};
use crate::text::{hex, truncate};
use crate::time::{parse_rfc3339, Nanos};

/// What a provider's authentication sees of a webhook request.
pub struct Inbound<'a> {
    /// A request header by name (case-insensitive), as the runtime gives it.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// The last path segment, for providers whose route carries a token
    /// ([`Provider::token_in_path`]).
    pub path_token: Option<&'a str>,
    /// Seconds since the epoch, for schemes with a signed timestamp.
    pub now_s: u64,
}

/// One provider: everything livehook knows about it, declared once in its file as a `static`
/// and listed in the registry. Its hooks are plain functions; the methods below are how the
/// worker calls them.
pub struct Provider {
    /// The name records carry (two routes may share it: Cloudflare's live inputs and videos).
    pub(crate) id: ProviderId,
    /// The route segment: `/webhooks/{route}`; also its name in `/healthz` and settings.
    pub(crate) route: &'static str,
    /// How people call it, for notifications ("Cloudflare Stream").
    pub(crate) title: &'static str,
    /// The route is `/webhooks/{route}/{token}` rather than `/webhooks/{route}`.
    pub(crate) token_in_path: bool,
    /// The environment names it reads.
    pub(crate) settings: &'static [Setting],
    /// [`Provider::authenticate_headers`]; `None`: the signature covers the body.
    pub(crate) auth_headers: Option<HeaderCheck>,
    /// [`Provider::authenticate_body`]; `None`: the credential is in the headers or path.
    pub(crate) auth_body: Option<BodyCheck>,
    /// [`Provider::is_probe`]; `None`: the provider sends no probe.
    pub(crate) probe: Option<fn(&Inbound<'_>, &[u8]) -> bool>,
    /// What [`Provider::health`] checks beyond the required settings, and the details it shows.
    pub(crate) check_settings: Option<SettingsCheck>,
    /// [`Provider::parse`].
    pub(crate) parse: fn(&[u8], Nanos) -> Result<Parsed, ParseError>,
    /// [`Provider::reply`]; `None`: livehook's own JSON answer.
    pub(crate) reply: Option<fn(&Parsed) -> Reply>,
    /// [`Provider::answers_first`].
    pub(crate) answers_first: bool,
}

/// The body of the 2xx answer to an accepted webhook. A media server that calls its hook in
/// the publish path reads it (SRS refuses a publish unless it gets `{"code":0}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// livehook's JSON: `{"ok":true,"outcome":…}`.
    Standard,
    /// This JSON, as it is.
    Json(&'static str),
    /// No body.
    Empty,
}

/// A provider's check of a request's headers and path.
pub(crate) type HeaderCheck = fn(&Settings, &Inbound<'_>) -> Result<(), AuthError>;
/// A provider's check of a request's raw body (its signature).
pub(crate) type BodyCheck = fn(&Settings, &Inbound<'_>, &[u8]) -> Result<(), AuthError>;
/// A provider's own check of its settings: the details `/healthz` shows, or what is wrong.
pub(crate) type SettingsCheck = fn(&Settings) -> Result<Map<String, Value>, String>;

impl Provider {
    /// The name records carry (two routes may share it: Cloudflare's live inputs and videos).
    pub fn id(&self) -> ProviderId {
        self.id
    }

    /// The route segment: `/webhooks/{route}`; also its name in `/healthz` and settings.
    pub fn route(&self) -> &'static str {
        self.route
    }

    /// How people call it, for notifications ("Cloudflare Stream").
    pub fn title(&self) -> &'static str {
        self.title
    }

    /// The route is `/webhooks/{route}/{token}` rather than `/webhooks/{route}`.
    pub fn token_in_path(&self) -> bool {
        self.token_in_path
    }

    /// The environment names it reads.
    pub fn settings(&self) -> &'static [Setting] {
        self.settings
    }

    /// `Ok(details)` if its settings let it authenticate webhooks, else why not (no value is
    /// ever quoted): every required setting is set, and its own check passes.
    pub fn health(&self, settings: &Settings) -> Result<Map<String, Value>, String> {
        missing_required(self.settings, settings)?;
        self.check_settings
            .map_or_else(|| Ok(Map::new()), |check| check(settings))
    }

    /// Checks that need only the headers and path; run before the body is read, so an
    /// unauthenticated sender's body is never buffered where the scheme allows. Every provider
    /// checks here or in [`Provider::authenticate_body`]: the registry's tests refuse one that
    /// authenticates nothing.
    pub fn authenticate_headers(
        &self,
        settings: &Settings,
        req: &Inbound<'_>,
    ) -> Result<(), AuthError> {
        self.auth_headers
            .map_or(Ok(()), |check| check(settings, req))
    }

    /// Whether this request is the provider's connectivity probe, which it sends unsigned when
    /// its webhook URL is added and which must get a 2xx (answered `outcome: "test"`, nothing
    /// read or stored). Checked after the headers, before [`Provider::authenticate_body`]: a
    /// probe is a body that carries nothing.
    pub fn is_probe(&self, req: &Inbound<'_>, body: &[u8]) -> bool {
        self.probe.is_some_and(|probe| probe(req, body))
    }

    /// Checks over the raw body (signatures); run after [`Provider::authenticate_headers`].
    pub fn authenticate_body(
        &self,
        settings: &Settings,
        req: &Inbound<'_>,
        body: &[u8],
    ) -> Result<(), AuthError> {
        self.auth_body
            .map_or(Ok(()), |check| check(settings, req, body))
    }

    /// The sender waits for the answer before it lets a publisher in, and never retries (a
    /// self-hosted media server's hook): an authenticated, readable call is answered at once and
    /// its event stored after the answer, so livehook's storage never holds up or refuses a
    /// publish. Other providers' events reach their stream before the answer, and a failure is
    /// a 5xx the provider retries.
    pub fn answers_first(&self) -> bool {
        self.answers_first
    }

    /// What the answer to an accepted webhook that parsed to `parsed` carries.
    pub fn reply(&self, parsed: &Parsed) -> Reply {
        self.reply.map_or(Reply::Standard, |reply| reply(parsed))
    }

    /// The payload as events, as the provider reads it (not yet bounded: [`parse`] is what the
    /// worker calls). `received_at` stands in where the provider sends no time.
    pub fn parse(&self, body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
        (self.parse)(body, received_at)
    }
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provider({})", self.id)
    }
}

/// [`Provider::authenticate_headers`] with either value of a credential being rotated.
pub fn authenticate_headers(
    p: &Provider,
    settings: &Settings,
    req: &Inbound<'_>,
) -> Result<(), AuthError> {
    either(settings, settings.rotated(), |s| {
        p.authenticate_headers(s, req)
    })
}

/// [`Provider::authenticate_body`] with either value of a credential being rotated.
pub fn authenticate_body(
    p: &Provider,
    settings: &Settings,
    req: &Inbound<'_>,
    body: &[u8],
) -> Result<(), AuthError> {
    either(settings, settings.rotated(), |s| {
        p.authenticate_body(s, req, body)
    })
}

/// `Err("X is not set")` for the first required setting that is not set.
pub fn missing_required(declared: &[Setting], settings: &Settings) -> Result<(), String> {
    match declared
        .iter()
        .find(|s| s.required && !settings.is_set(s.name))
    {
        Some(s) => Err(format!("{} is not set", s.name)),
        None => Ok(()),
    }
}

/// What a webhook body turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Event(Box<Event>),
    /// A known provider's message we do not track (unknown event type, other alert type).
    /// `stream` is set when the message still names a valid stream (its history records it).
    Ignored {
        event_type: Option<String>,
        reason: &'static str,
        stream: Option<StreamKey>,
    },
    /// The provider's "is this URL alive" message (Cloudflare's Save and Test).
    Test,
    /// An event, and one for another stream it tells about (a recording tells its live input
    /// that it is the newest recording).
    Linked {
        event: Box<Event>,
        also: Box<Event>,
    },
    /// A media server says a client is still publishing a stream (nginx-rtmp's
    /// `update_publish`): `start` is the start it stands for (`live`, with its publisher). On air,
    /// the state stays, the record is verified and watched for the next heartbeat; off air, the
    /// start is applied only if that client's own stop never came (its start was lost, or
    /// another client's refused publish stopped the stream).
    Heartbeat {
        start: Box<Event>,
    },
}

impl Parsed {
    /// A known provider's message of type `event_type` that livehook does not track.
    pub fn ignored(
        event_type: impl Into<String>,
        reason: &'static str,
        stream: Option<StreamKey>,
    ) -> Self {
        Parsed::Ignored {
            event_type: Some(event_type.into()),
            reason,
            stream,
        }
    }
}

/// Why a body was refused. Messages never contain payload values, only field names and
/// positions, so they are safe to return and to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty body")]
    Empty,
    #[error("body is not valid JSON (line {line}, column {column})")]
    Json { line: usize, column: usize },
    #[error("JSON does not match the {provider} payload: {detail}")]
    Shape {
        provider: ProviderId,
        detail: String,
    },
    #[error("form body does not match the {provider} call: {detail}")]
    Form {
        provider: ProviderId,
        detail: String,
    },
    #[error("{field} is not a valid stream id (1-255 chars of A-Z a-z 0-9 . _ ~ : -, or such segments joined by /)")]
    InvalidId { field: &'static str },
    #[error("{field} is not an RFC 3339 time")]
    InvalidTime { field: &'static str },
}

impl ParseError {
    /// A field the payload must have (named as the provider documents it) is absent.
    pub fn missing(provider: ProviderId, field: &str) -> Self {
        ParseError::Shape {
            provider,
            detail: format!("missing field `{field}`"),
        }
    }
}

/// Parses and normalizes one webhook body with `provider`: refuses empty bodies, then bounds
/// what the event may make a stream keep. `received_at` is used where the provider sends no
/// event time.
pub fn parse(provider: &Provider, body: &[u8], received_at: Nanos) -> Result<Parsed, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    Ok(match provider.parse(body, received_at)? {
        Parsed::Event(mut event) => {
            bound(&mut event);
            Parsed::Event(event)
        }
        Parsed::Linked {
            mut event,
            mut also,
        } => {
            bound(&mut event);
            bound(&mut also);
            Parsed::Linked { event, also }
        }
        Parsed::Heartbeat { mut start } => {
            bound(&mut start);
            Parsed::Heartbeat { start }
        }
        other => other,
    })
}

/// Longest provider name for a stream kept (characters); longer ones are cut.
pub const MAX_NAME: usize = 200;

/// Longest event id kept as sent; longer ones are replaced by their SHA-256 (still unique).
pub const MAX_EVENT_ID: usize = 256;
/// Longest publishing client id kept (characters); longer ones are cut.
pub const MAX_PUBLISHER: usize = 128;
/// Longest error or warning code and message kept (characters); longer ones are cut.
pub const MAX_ERROR_CODE: usize = 64;
pub const MAX_ERROR_MESSAGE: usize = 1024;

/// Caps the provider-chosen strings a stream keeps: its object remembers 64 event ids and the
/// last error, and must stay far below a Durable Object's value limit whatever a payload holds.
fn bound(event: &mut Event) {
    if event.event_id.len() > MAX_EVENT_ID {
        let digest = Sha256::digest(event.event_id.as_bytes());
        event.event_id = format!("sha256:{}", hex(&digest));
    }
    if let Some(name) = event.name.as_mut() {
        cap(name, MAX_NAME);
    }
    if let Some(publisher) = event.publisher.as_mut() {
        cap(publisher, MAX_PUBLISHER);
    }
    if let Some(err) = event.error.as_mut() {
        cap(&mut err.code, MAX_ERROR_CODE);
        cap(&mut err.message, MAX_ERROR_MESSAGE);
    }
    if let Some(WarningChange::Raised(w)) = event.warning.as_mut() {
        cap(&mut w.code, MAX_ERROR_CODE);
        cap(&mut w.message, MAX_ERROR_MESSAGE);
    }
}

/// [`truncate`] in place, without copying a string that already fits (a string of at most
/// `max_chars` bytes has at most that many characters).
fn cap(s: &mut String, max_chars: usize) {
    if s.len() > max_chars {
        *s = truncate(s, max_chars);
    }
}

pub(crate) fn stream_key(
    provider: ProviderId,
    kind: Kind,
    id: &str,
    field: &'static str,
) -> Result<StreamKey, ParseError> {
    StreamKey::new(provider, kind, id).ok_or(ParseError::InvalidId { field })
}

/// A self-hosted media server's start or stop of `stream`, as its hook tells it
/// ([`Event::media_server`]).
pub(crate) fn media_server_event(
    stream: StreamKey,
    state: State,
    event_type: String,
    publisher: Option<String>,
    received_at: Nanos,
) -> Parsed {
    Parsed::Event(Box::new(Event::media_server(
        stream,
        state,
        event_type,
        publisher,
        received_at,
    )))
}

/// The check of a route whose last segment is the token in `setting`.
pub(crate) fn path_token(
    s: &Settings,
    setting: &'static str,
    req: &Inbound<'_>,
) -> Result<(), AuthError> {
    let token = s.get(setting).ok_or(AuthError::NotConfigured(setting))?;
    expect_secret(req.path_token.unwrap_or_default(), token, "webhook token")
}

pub(crate) fn provider_time(value: &str, field: &'static str) -> Result<Nanos, ParseError> {
    parse_rfc3339(value).ok_or(ParseError::InvalidTime { field })
}
