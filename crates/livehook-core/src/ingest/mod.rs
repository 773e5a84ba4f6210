//! Ingest: a provider's webhook becomes one normalized [`event::Event`]. The event model and
//! the record we store ([`event`]), the settings providers read ([`settings`]), authentication
//! primitives ([`auth`]) and the providers themselves, one file and one declaration each
//! ([`providers`]). Nothing here knows about alerts, ordering or storage.

pub mod auth;
pub mod event;
pub mod providers;
pub mod settings;
