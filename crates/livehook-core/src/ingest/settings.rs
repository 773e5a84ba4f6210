//! Named configuration strings (Worker secrets and vars look alike: both are strings), read once
//! per isolate by the shell and handed to whoever declared them. Each provider declares the
//! [`Setting`]s it reads; the API token and alert settings are declared by `crate::config`.
//!
//! A blank value counts as unset, so an empty secret fails closed. A [`Setting::default`] applies
//! only when the name is absent altogether.
//!
//! **Rotation.** A required setting (a credential) may have a second value under the same name
//! with [`NEXT_SUFFIX`] appended (`CF_WEBHOOK_SECRET_NEXT`): [`Settings::rotated`] is the same
//! settings with those values in place, and checks accept either (see
//! [`crate::ingest::auth::either`]). A next value is read only beside a current one.

use super::auth::{AuthError, Secret};

/// The suffix of a credential's second value, accepted beside the first while it is rotated.
pub const NEXT_SUFFIX: &str = "_NEXT";

/// `NAME_NEXT` for `NAME`.
pub fn next_name(name: &str) -> String {
    format!("{name}{NEXT_SUFFIX}")
}

/// One name a part of livehook reads from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// Used when the environment has no such name.
    pub default: Option<&'static str>,
    /// Nothing works without it: `/healthz` reports the provider as not configured.
    pub required: bool,
}

impl Setting {
    pub const fn required(name: &'static str) -> Self {
        Setting {
            name,
            default: None,
            required: true,
        }
    }

    pub const fn with_default(name: &'static str, default: &'static str) -> Self {
        Setting {
            name,
            default: Some(default),
            required: false,
        }
    }
}

/// The values of the declared settings. `Debug` shows names only (values are [`Secret`]s).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: Vec<(&'static str, Secret)>,
    /// The same settings with each credential's next value in place, if any has one.
    rotated: Option<Box<Settings>>,
    /// The credentials that have a next value.
    rotating: Vec<&'static str>,
}

impl Settings {
    /// Reads `declared` through `get` (the environment, or a table in tests).
    pub fn read<'a>(
        declared: impl IntoIterator<Item = &'a Setting>,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let mut values: Vec<(&'static str, Secret)> = Vec::new();
        let mut next: Vec<(&'static str, Secret)> = Vec::new();
        for s in declared {
            if values.iter().any(|(n, _)| *n == s.name) {
                continue;
            }
            let raw = get(s.name).or_else(|| s.default.map(str::to_owned));
            if let Some(secret) = Secret::new(raw) {
                values.push((s.name, secret));
                if s.required {
                    if let Some(n) = Secret::new(get(&next_name(s.name))) {
                        next.push((s.name, n));
                    }
                }
            }
        }
        let rotating: Vec<&'static str> = next.iter().map(|(n, _)| *n).collect();
        let rotated = (!next.is_empty()).then(|| {
            let swapped = values
                .iter()
                .map(|(name, v)| {
                    let n = next.iter().find(|(m, _)| m == name).map(|(_, n)| n);
                    (*name, n.unwrap_or(v).clone())
                })
                .collect();
            Box::new(Settings {
                values: swapped,
                rotated: None,
                rotating: Vec::new(),
            })
        });
        Settings {
            values,
            rotated,
            rotating,
        }
    }

    /// These settings with every credential's next value in place, if any has one.
    pub fn rotated(&self) -> Option<&Settings> {
        self.rotated.as_deref()
    }

    /// The credentials that have a next value set (names only).
    pub fn rotating(&self) -> &[&'static str] {
        &self.rotating
    }

    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The value, or [`AuthError::NotConfigured`]: a check that needs it fails closed.
    pub fn require(&self, name: &'static str) -> Result<&Secret, AuthError> {
        self.get(name).ok_or(AuthError::NotConfigured(name))
    }

    /// Whether the value is set (for `/healthz`).
    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_only_to_absent_names_and_blank_values_are_unset() {
        let declared = [
            Setting::required("A"),
            Setting::with_default("B", "b-default"),
            Setting::with_default("C", "c-default"),
            Setting::required("D"),
        ];
        let get = |name: &str| match name {
            "A" => Some("a-value".to_owned()),
            "C" => Some("  ".to_owned()),
            _ => None,
        };
        let s = Settings::read(&declared, &get);
        assert_eq!(s.get("A").map(Secret::expose), Some("a-value"));
        assert_eq!(s.get("B").map(Secret::expose), Some("b-default"));
        assert!(!s.is_set("C"), "blank is unset, not the default");
        assert_eq!(s.require("D").err(), Some(AuthError::NotConfigured("D")));
        assert!(!format!("{s:?}").contains("a-value"));
        assert!(s.rotated().is_none() && s.rotating().is_empty());
    }

    #[test]
    fn a_credential_s_next_value_is_read_beside_the_current_one_only() {
        let declared = [
            Setting::required("A"),
            Setting::required("B"),
            Setting::with_default("C", "c-default"),
        ];
        let get = |name: &str| match name {
            "A" => Some("a-old".to_owned()),
            "A_NEXT" => Some("a-new".to_owned()),
            "B_NEXT" => Some("b-new".to_owned()), // no current value: ignored
            "C_NEXT" => Some("not a credential".to_owned()),
            _ => None,
        };
        let s = Settings::read(&declared, &get);
        assert_eq!(s.rotating(), ["A"]);
        let r = s.rotated().expect("A rotates");
        assert_eq!(r.get("A").map(Secret::expose), Some("a-new"));
        assert!(!r.is_set("B"));
        assert_eq!(r.get("C").map(Secret::expose), Some("c-default"));
        assert!(r.rotated().is_none());
        assert!(!format!("{s:?}").contains("a-new"));
    }
}
