//! The two Durable Objects, thin shells over the core: [`stream`] (one per stream, over
//! `livehook_core::stream`) and [`hub`] (one alert hub, over `livehook_core::hub`). Both run
//! their logic over [`store`] (the core's storage trait on Durable Object storage) and their own
//! effects, and answer typed requests (`livehook_core::protocol`) through `platform::rpc`.

pub mod hub;
pub mod store;
pub mod stream;
