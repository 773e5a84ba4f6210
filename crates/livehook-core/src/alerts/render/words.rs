//! What notifications say, shared by every format: the summaries of an incident and of a
//! storm, the facts a person reads, durations, and links to the board.

use super::{provider_name, stream_words};
use crate::alerts::notice::{Storm, Subject};
use crate::incidents::{Incident, ResolvedBy};
use crate::text::truncate;

/// Links to the board, when `PUBLIC_URL` is set.
pub(super) struct Links<'a> {
    base: Option<&'a str>,
}

impl<'a> Links<'a> {
    pub(super) fn new(public_url: Option<&'a str>) -> Self {
        Links {
            base: public_url
                .map(|u| u.trim_end_matches('/'))
                .filter(|u| !u.is_empty()),
        }
    }

    /// The board itself (PagerDuty's `client_url`).
    pub(super) fn board(&self) -> Option<&'a str> {
        self.base
    }

    /// `{PUBLIC_URL}/#stream={provider}:{kind}:{id}` (the id percent-encoded).
    pub(super) fn stream(&self, i: &Incident) -> Option<String> {
        let id = percent_encode(&i.stream_id);
        self.base
            .map(|b| format!("{b}/#stream={}:{}:{id}", i.provider, i.kind.as_str()))
    }

    /// `{PUBLIC_URL}/#incidents`.
    pub(super) fn incidents(&self) -> Option<String> {
        self.base.map(|b| format!("{b}/#incidents"))
    }

    /// Where a notice about `subject` points.
    pub(super) fn subject(&self, subject: &Subject) -> Option<String> {
        match subject {
            Subject::Incident(i) => self.stream(i),
            Subject::Storm(_) => self.incidents(),
        }
    }
}

/// Every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (what `encodeURIComponent` leaves, less `!*'()`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `45 s`, `4 m 12 s`, `2 h 3 m`.
pub fn format_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} m {} s", s / 60, s % 60),
        _ => format!("{} h {} m", s / 3600, s % 3600 / 60),
    }
}

/// `live input`, or `live inputs` when `count` is not 1.
fn kind_words(kind: crate::ingest::event::Kind, count: u32) -> String {
    let one = kind.as_str().replace('_', " ");
    if count == 1 {
        one
    } else {
        format!("{one}s")
    }
}

/// `Cloudflare Stream live input in1 errored: ERR_GOP_OUT_OF_RANGE` (no icon): a page's summary.
pub(super) fn incident_summary(i: &Incident) -> String {
    let what = stream_words(i.provider, i.kind, &i.stream_id);
    let summary = match i.code().filter(|c| !c.is_empty()) {
        Some(code) => format!("{what} {}: {code}", i.cause.as_str()),
        None => format!("{what} {}", i.cause.as_str()),
    };
    truncate(&summary, 1024)
}

/// `37 Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×30, offline ×7`; `more`
/// says `37 more …` (a summary of those beyond the first ones, told one by one).
pub(super) fn storm_summary(s: &Storm, more: bool) -> String {
    let codes = s
        .codes
        .iter()
        .map(|c| format!("{} ×{}", c.code, c.count))
        .collect::<Vec<_>>()
        .join(", ");
    let more = if more { " more" } else { "" };
    let what = format!(
        "{}{more} {} {} down",
        s.count,
        provider_name(s.provider),
        kind_words(s.kind, s.count)
    );
    let summary = if codes.is_empty() {
        what
    } else {
        format!("{what}: {codes}")
    };
    truncate(&summary, 1024)
}

/// `All 37 Cloudflare Stream live inputs of the storm are back`.
pub(super) fn storm_back(s: &Storm) -> String {
    format!(
        "All {} {} {} of the storm are back",
        s.count,
        provider_name(s.provider),
        kind_words(s.kind, s.count)
    )
}

/// What a person reads about an incident, most useful first; empty values left out.
pub(super) fn incident_facts(i: &Incident) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Provider", provider_name(i.provider)),
        ("Stream", format!("{} ({})", i.stream_id, i.kind.as_str())),
    ];
    let error = i.error.as_ref();
    let optional = [
        ("Name", i.name.clone()),
        ("Cause", Some(i.cause.as_str().to_owned())),
        ("State", Some(i.state.as_str().to_owned())),
        ("Duration", i.duration_ms.map(format_duration)),
        ("Code", error.map(|e| e.code.clone())),
        ("Message", error.map(|e| e.message.clone())),
        ("Hint", error.map(|e| e.hint.clone())),
        ("Opened", Some(i.opened_at.clone())),
        ("Acknowledged", i.acknowledged_at.clone()),
        ("Resolved", i.resolved_at.clone()),
        (
            "Resolved by",
            i.resolved_by.map(|by| match by {
                ResolvedBy::Recovery => "recovery (back on air)".to_owned(),
                ResolvedBy::Manual => "manual".to_owned(),
            }),
        ),
        (
            "Repeats",
            (i.repeat_count > 0).then(|| format!("{} more error(s) joined", i.repeat_count)),
        ),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v))),
    );
    out
}

pub(super) fn storm_facts(s: &Storm) -> Vec<(&'static str, String)> {
    let codes = s.codes.iter().map(|c| format!("{} ×{}", c.code, c.count));
    vec![
        ("Provider", provider_name(s.provider)),
        (
            "Streams",
            format!("{} {}", s.count, kind_words(s.kind, s.count)),
        ),
        ("Codes", codes.collect::<Vec<_>>().join(", ")),
        ("Since", s.started_at.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}
