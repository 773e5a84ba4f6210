//! The runtime glue every other room of the shell uses: the clock, deadlines and alarms
//! ([`clock`]), the one JSON logger ([`log`]), the environment read once per isolate ([`env`]),
//! and typed calls to the Durable Objects ([`rpc`]).

pub mod clock;
pub mod env;
pub mod log;
pub mod rpc;
