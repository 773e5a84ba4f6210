//! Incidents: one per outage of one stream. [`incident`] is what an incident is and the change
//! that travels from a stream's object to the hub; [`track`] is the lifecycle a stream's object
//! runs (open on an error, a warning or a stream that stays off air; join; resolve after a
//! stable wait). The hub keeps, lists and notifies them (`crate::hub::incidents`).

pub mod incident;
pub mod track;

pub use incident::{Cause, ChangeKind, Incident, IncidentChange, IncidentState, ResolvedBy};
pub use track::{IncidentTimers, IncidentTrack};
