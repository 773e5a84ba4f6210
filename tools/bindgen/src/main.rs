//! `livehook-bindgen <input.wasm> <out-dir>`: the JS glue and the processed Wasm for a
//! workers-rs module, as `wasm-bindgen --target module --out-name index --no-typescript
//! --experimental-reset-state-function --force-enable-abort-handler` makes them (the flags
//! worker-build passes). The glue can then re-instantiate the module after a trap.

use std::process::ExitCode;

use wasm_bindgen_cli_support::Bindgen;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir] = args.as_slice() else {
        eprintln!("usage: livehook-bindgen <input.wasm> <out-dir>");
        return ExitCode::from(2);
    };
    let generated = Bindgen::new()
        .input_path(input)
        .out_name("index")
        .typescript(false)
        .reset_state_function(true)
        .force_enable_abort_handler(true)
        .module(true)
        .and_then(|b| b.generate(out_dir));
    match generated {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("livehook-bindgen: {e:?}");
            ExitCode::FAILURE
        }
    }
}
