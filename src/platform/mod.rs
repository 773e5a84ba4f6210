//! The runtime glue every other room of the shell uses: the clock, deadlines and alarms
//! ([`clock`]), the one JSON logger ([`log`]), the environment read once per isolate ([`env`]),
//! typed calls to the Durable Objects ([`rpc`]), outgoing requests ([`request`]), Workers KV
//! ([`kv`]), webhook traffic counts ([`traffic`]), what a trap does ([`trap`]), and the one
//! module of extern bindings for what workers-rs does not offer ([`bindings`]).

pub mod bindings;
pub mod clock;
pub mod env;
pub mod kv;
pub mod log;
pub mod request;
pub mod rpc;
pub mod traffic;
pub mod trap;
