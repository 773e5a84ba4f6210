//! Alerts and incident notices: what an alert is ([`alert`]), who wants it ([`subscriber`],
//! their target [`url_policy`] over a strictly parsed [`target_url`], signing [`secret`] and
//! destination [`credential`]s), when to try again ([`schedule`]), one delivery's state
//! machine ([`delivery`]), an alert and an incident notice as the hub keeps them ([`record`],
//! [`notice`]) and what a subscriber receives ([`render`]: webhook, Slack, Discord, Teams,
//! Telegram, PagerDuty, incident.io). Pure and storage-agnostic: the hub (`crate::hub`) decides
//! what is stored where.
//!
//! Dependencies inside point one way: `render → {record, notice} → {delivery → schedule,
//! subscriber → {secret, credential, url_policy → target_url}, alert}`.

pub mod alert;
pub mod credential;
pub mod delivery;
pub mod notice;
pub mod record;
pub mod render;
pub mod schedule;
pub mod secret;
pub mod subscriber;
pub mod target_url;
pub mod url_policy;
