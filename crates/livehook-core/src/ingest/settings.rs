//! Named configuration strings (Worker secrets and vars look alike: both are strings), read once
//! per isolate by the shell and handed to whoever declared them. Each provider declares the
//! [`Setting`]s it reads; the API token and alert settings are declared by `crate::config`.
//!
//! A blank value counts as unset, so an empty secret fails closed. A [`Setting::default`] applies
//! only when the name is absent altogether.

use super::auth::{AuthError, Secret};

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
}

impl Settings {
    /// Reads `declared` through `get` (the environment, or a table in tests).
    pub fn read<'a>(
        declared: impl IntoIterator<Item = &'a Setting>,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let mut values: Vec<(&'static str, Secret)> = Vec::new();
        for s in declared {
            if values.iter().any(|(n, _)| *n == s.name) {
                continue;
            }
            let raw = get(s.name).or_else(|| s.default.map(str::to_owned));
            if let Some(secret) = Secret::new(raw) {
                values.push((s.name, secret));
            }
        }
        Settings { values }
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
    }
}
