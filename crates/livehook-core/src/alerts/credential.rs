//! A subscriber's credential for its destination (a PagerDuty routing key, an incident.io
//! token): a string that is stored and sent, and never printed. `Debug` prints `[redacted]`,
//! so a credential cannot reach a log line by accident; it has no `Display`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest credential accepted (PagerDuty's integration keys have 32 characters, incident.io's
/// tokens about 64).
pub const MAX_CREDENTIAL_LEN: usize = 512;

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct Credential(String);

impl Credential {
    /// `None` unless `text` is 1 to [`MAX_CREDENTIAL_LEN`] visible ASCII characters (it is
    /// sent in a JSON body or an HTTP header, where nothing else is safe).
    pub fn parse(text: &str) -> Option<Self> {
        let ok = !text.is_empty()
            && text.len() <= MAX_CREDENTIAL_LEN
            && text.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Credential(text.to_owned()))
    }

    /// The text, to be sent to the destination it is for (and nowhere else).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential([redacted])")
    }
}

impl TryFrom<String> for Credential {
    type Error = &'static str;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Credential::parse(&text).ok_or("not a credential")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_never_prints_and_is_stored_as_its_text() {
        let c = Credential::parse("R0UTINGKEY0123456789abcdef012345").unwrap();
        assert_eq!(format!("{c:?}"), "Credential([redacted])");
        assert_eq!(format!("{:?}", Some(&c)), "Some(Credential([redacted]))");
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"R0UTINGKEY0123456789abcdef012345\"");
        assert_eq!(serde_json::from_str::<Credential>(&json).unwrap(), c);
    }

    #[test]
    fn empty_long_or_header_breaking_text_is_refused() {
        for bad in [
            "",
            " key",
            "key\r\nx: y",
            "clé",
            &"k".repeat(MAX_CREDENTIAL_LEN + 1),
        ] {
            assert_eq!(Credential::parse(bad), None, "{bad:?}");
        }
        assert!(Credential::parse(&"k".repeat(MAX_CREDENTIAL_LEN)).is_some());
        assert!(serde_json::from_str::<Credential>("\"\"").is_err());
    }
}
