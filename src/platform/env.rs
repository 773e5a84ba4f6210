//! The environment, read once per isolate: secrets and vars cannot change without a new
//! isolate, so [`config`] parses them on first use and shares the result.

use std::cell::OnceCell;
use std::rc::Rc;

use livehook_core::config::Config;
use worker::Env;

/// The configuration of this isolate (every Durable Object in it shares it).
pub fn config(env: &Env) -> Rc<Config> {
    thread_local! {
        static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
    }
    CONFIG.with(|c| {
        c.get_or_init(|| {
            Rc::new(Config::from_lookup(|name| {
                env.secret(name)
                    .map(|s| s.to_string())
                    .or_else(|_| env.var(name).map(|v| v.to_string()))
                    .ok()
            }))
        })
        .clone()
    })
}
