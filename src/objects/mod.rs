//! The three Durable Objects, thin shells over the core: [`stream`] (one per stream, over
//! `livehook_core::stream`), [`hub`] (one alert hub, over `livehook_core::hub`) and
//! [`reconciler`] (one, over `livehook_core::reconcile::runner`). Each runs its logic over
//! [`store`] (the core's storage trait on Durable Object storage) and its own effects, and
//! answers typed requests (`livehook_core::protocol`) through `platform::rpc`.

pub mod hub;
pub mod reconciler;
pub mod store;
pub mod stream;
