//! The two Durable Objects, thin shells over the core: [`stream`] (one per stream, over
//! `livehook_core::ordering`) and [`hub`] (one alert hub, over `livehook_core::hub`). Both
//! answer typed requests (`livehook_core::protocol`) through `platform::rpc`.

pub mod hub;
pub mod stream;
