//! Which alerts and incidents a subscriber wants ([`Filter`]): by provider, stream, error code
//! and state, whether warnings too, and which causes of incident. A field with no entries
//! matches anything in that field; with no `states` a filter matches errored alerts only, with
//! no `causes` errored incidents (none if `states` leaves `errored` out), and warning
//! incidents too with `"warnings": true`. A filter names only registered providers.
//!
//! An incident matches `codes` by its newest error's code; an `offline` incident has no code,
//! so a filter with `codes` never matches one (ask for `causes: ["offline"]` without `codes`).

use serde::{Deserialize, Serialize};

use super::SubscriberError;
use crate::alerts::alert::Alert;
use crate::incidents::{Cause, Incident};
use crate::ingest::event::{ProviderId, State, MAX_STREAM_ID_LEN};
use crate::ingest::providers;

/// Most entries one filter field may hold.
pub const MAX_FILTER_ENTRIES: usize = 100;
pub const MAX_CODE_LEN: usize = 128;

/// Which alerts a subscriber wants. Empty fields match anything (states: errored only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stream_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// States to be told about; empty means `["errored"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<State>,
    /// Warnings (a stream that still works: Mux warnings, IVS starvation, failed recordings).
    /// Unset: wanted whenever errors are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<bool>,
    /// Causes of incident to be told about; empty means `["errored"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Cause>,
}

impl Filter {
    pub fn wants_state(&self, state: State) -> bool {
        if self.states.is_empty() {
            state == State::Errored
        } else {
            self.states.contains(&state)
        }
    }

    pub fn wants_warnings(&self) -> bool {
        self.warnings
            .unwrap_or_else(|| self.wants_state(State::Errored))
    }

    pub fn wants_cause(&self, cause: Cause) -> bool {
        if self.causes.is_empty() {
            // The default follows what the subscriber said about alerts: error incidents if it
            // wants errors (a `states` list that leaves `errored` out does not), warning
            // incidents if it asked for warnings (`"warnings": true`).
            match cause {
                Cause::Errored => self.wants_state(State::Errored),
                Cause::Warning => self.warnings == Some(true),
                Cause::Offline => false,
            }
        } else {
            self.causes.contains(&cause)
        }
    }

    /// Whether this incident is for this subscriber: its cause, provider, stream, and its
    /// newest error's code (none for an `offline` incident, which `codes` therefore excludes).
    pub fn matches_incident(&self, i: &Incident) -> bool {
        self.wants_cause(i.cause)
            && self.matches_where(i.provider, &i.stream_id, i.code().unwrap_or(""))
    }

    /// Whether this alert is for this subscriber.
    pub fn matches_alert(&self, a: &Alert) -> bool {
        let code = a.code.as_deref().unwrap_or("");
        if a.warning {
            self.wants_warnings() && self.matches_where(a.provider, &a.stream_id, code)
        } else {
            self.matches(a.provider, &a.stream_id, a.state, code)
        }
    }

    fn matches_where(&self, provider: ProviderId, stream_id: &str, code: &str) -> bool {
        (self.providers.is_empty() || self.providers.contains(&provider))
            && (self.stream_ids.is_empty() || self.stream_ids.iter().any(|s| s == stream_id))
            && (self.codes.is_empty() || self.codes.iter().any(|c| c == code))
    }

    pub fn matches(&self, provider: ProviderId, stream_id: &str, state: State, code: &str) -> bool {
        self.wants_state(state) && self.matches_where(provider, stream_id, code)
    }

    pub(super) fn validate(&self) -> Result<(), SubscriberError> {
        let too_many = [
            ("providers", self.providers.len()),
            ("stream_ids", self.stream_ids.len()),
            ("codes", self.codes.len()),
            ("states", self.states.len()),
            ("causes", self.causes.len()),
        ]
        .into_iter()
        .find(|(_, n)| *n > MAX_FILTER_ENTRIES);
        if let Some((field, _)) = too_many {
            return Err(SubscriberError::Invalid(format!(
                "filter.{field} has more than {MAX_FILTER_ENTRIES} entries"
            )));
        }
        if self.providers.iter().any(|p| providers::get(*p).is_none()) {
            return Err(SubscriberError::Invalid(
                "filter.providers names an unknown provider".into(),
            ));
        }
        if self
            .stream_ids
            .iter()
            .any(|s| s.is_empty() || s.len() > MAX_STREAM_ID_LEN)
        {
            return Err(SubscriberError::Invalid(
                "filter.stream_ids has an empty or too long id".into(),
            ));
        }
        if self
            .codes
            .iter()
            .any(|c| c.is_empty() || c.len() > MAX_CODE_LEN)
        {
            return Err(SubscriberError::Invalid(
                "filter.codes has an empty or too long code".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gcore() -> ProviderId {
        ProviderId::new("gcore")
    }

    fn cloudflare() -> ProviderId {
        ProviderId::new("cloudflare")
    }

    #[test]
    fn filters_match_fields_and_default_to_errors_only() {
        let any = Filter::default();
        assert!(any.matches(gcore(), "1", State::Errored, "E"));
        assert!(!any.matches(gcore(), "1", State::Disconnected, ""));
        let f = Filter {
            providers: vec![cloudflare()],
            stream_ids: vec!["in1".into()],
            codes: vec!["ERR_GOP_OUT_OF_RANGE".into()],
            states: vec![State::Errored, State::Disconnected],
            warnings: None,
            causes: Vec::new(),
        };
        assert!(f.matches(cloudflare(), "in1", State::Errored, "ERR_GOP_OUT_OF_RANGE"));
        assert!(!f.matches(
            ProviderId::new("fastpix"),
            "in1",
            State::Errored,
            "ERR_GOP_OUT_OF_RANGE"
        ));
        assert!(!f.matches(cloudflare(), "in2", State::Errored, "ERR_GOP_OUT_OF_RANGE"));
        assert!(!f.matches(cloudflare(), "in1", State::Errored, "OTHER"));
        assert!(!f.matches(cloudflare(), "in1", State::Live, "ERR_GOP_OUT_OF_RANGE"));
    }

    #[test]
    fn warnings_go_to_whoever_wants_errors_unless_the_filter_says() {
        let mut e = crate::ingest::event::errored_event_for_tests("in1", "w");
        e.state = State::Live;
        e.error = None;
        e.keeps_state = true;
        e.warning = Some(crate::ingest::event::WarningChange::Raised(
            crate::ingest::event::WarningInfo {
                code: "Starvation Start".into(),
                message: "m".into(),
            },
        ));
        let warning = Alert::from_event(&e, 0).unwrap();
        assert!(Filter::default().matches_alert(&warning));
        let no = Filter {
            warnings: Some(false),
            ..Filter::default()
        };
        assert!(!no.matches_alert(&warning));
        let only_disconnects = Filter {
            states: vec![State::Disconnected],
            ..Filter::default()
        };
        assert!(!only_disconnects.matches_alert(&warning));
        let asked = Filter {
            warnings: Some(true),
            ..only_disconnects
        };
        assert!(asked.matches_alert(&warning));
        let other_stream = Filter {
            stream_ids: vec!["in2".into()],
            ..Filter::default()
        };
        assert!(!other_stream.matches_alert(&warning));
    }

    fn incident(cause: Cause, code: Option<&str>) -> Incident {
        let key = crate::ingest::event::StreamKey::new(
            cloudflare(),
            crate::ingest::event::Kind::LiveInput,
            "in1",
        )
        .unwrap();
        let mut i = Incident::open(&key, None, cause, 5, "e1");
        i.error = code.map(|c| crate::ingest::event::ErrorInfo {
            code: c.into(),
            message: "m".into(),
            hint: String::new(),
        });
        i
    }

    #[test]
    fn incidents_match_by_cause_where_and_newest_code() {
        let errored = incident(Cause::Errored, Some("ERR_GOP_OUT_OF_RANGE"));
        let offline = incident(Cause::Offline, None);
        let warning = incident(Cause::Warning, Some("Starvation Start"));
        let any = Filter::default();
        assert!(any.matches_incident(&errored));
        assert!(!any.matches_incident(&offline) && !any.matches_incident(&warning));
        let all = Filter {
            causes: Cause::ALL.to_vec(),
            ..Filter::default()
        };
        assert!([&errored, &offline, &warning]
            .iter()
            .all(|i| all.matches_incident(i)));
        let coded = Filter {
            codes: vec!["ERR_GOP_OUT_OF_RANGE".into()],
            ..all.clone()
        };
        assert!(coded.matches_incident(&errored));
        // An offline incident has no code: a filter with codes never matches it.
        assert!(!coded.matches_incident(&offline));
        assert!(!coded.matches_incident(&warning));
        let elsewhere = Filter {
            providers: vec![gcore()],
            ..all.clone()
        };
        assert!(!elsewhere.matches_incident(&errored));
        let other_stream = Filter {
            stream_ids: vec!["in2".into()],
            ..all
        };
        assert!(!other_stream.matches_incident(&errored));
        assert!(Filter {
            causes: vec![Cause::Offline],
            ..Filter::default()
        }
        .wants_cause(Cause::Offline));
        // Asked for disconnects only: no error incidents by default, unless asked for.
        let disconnects = Filter {
            states: vec![State::Disconnected],
            ..Filter::default()
        };
        assert!(!disconnects.matches_incident(&errored));
        let and_errors = Filter {
            causes: vec![Cause::Errored],
            ..disconnects
        };
        assert!(and_errors.matches_incident(&errored));
        // Asked for warnings: warning incidents too, by default.
        let with_warnings = Filter {
            warnings: Some(true),
            ..Filter::default()
        };
        assert!(
            with_warnings.matches_incident(&warning) && with_warnings.matches_incident(&errored)
        );
        assert!(!with_warnings.matches_incident(&offline));
    }

    #[test]
    fn filters_without_causes_store_as_before() {
        let f = Filter {
            providers: vec![gcore()],
            ..Filter::default()
        };
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"providers":["gcore"]}"#
        );
        let with: Filter = serde_json::from_str(r#"{"causes":["offline","errored"]}"#).unwrap();
        assert_eq!(with.causes, vec![Cause::Offline, Cause::Errored]);
        let too_many = Filter {
            causes: vec![Cause::Errored; MAX_FILTER_ENTRIES + 1],
            ..Filter::default()
        };
        assert!(too_many.validate().is_err());
    }
}
