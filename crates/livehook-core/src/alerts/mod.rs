//! Alerts: what an alert is ([`alert`]), who wants it ([`subscriber`], their target
//! [`url_policy`] over a strictly parsed [`target_url`], and signing [`secret`]), when to try again ([`schedule`]), one delivery's state
//! machine ([`delivery`]), an alert as the hub keeps it ([`record`]) and what a subscriber
//! receives ([`render`]). Pure and storage-agnostic: the hub (`crate::hub`) decides what is
//! stored where.
//!
//! Dependencies inside point one way: `render → record → {delivery → schedule, subscriber →
//! {secret, url_policy → target_url}, alert}`.

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
