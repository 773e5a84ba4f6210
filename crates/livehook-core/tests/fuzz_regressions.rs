//! The fast part of the fuzzing (fuzz/README.md): replays the committed fuzz inputs through the
//! fuzz targets' own checks, on the host, in `cargo test`. For each target:
//! - `fuzz/seeds/<target>/*`: the hand-made seeds;
//! - `tests/fixtures/*/*`: every provider fixture (provider targets only; the fuzzer's seeds too);
//! - `fuzz/regressions/<target>/*`: inputs that once made the target fail.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
mod fuzz_checks;

/// The provider targets (their fixtures are in `tests/fixtures/{route}`, `-` for `_`).
const PROVIDERS: [&str; 11] = [
    "cloudflare",
    "fastpix",
    "gcore",
    "cloudflare_stream",
    "ivs",
    "mux",
    "livepeer",
    "srs",
    "nginx_rtmp",
    "mediamtx",
    "ovenmediaengine",
];

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("readable dir entry").path())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs `check` on every input of `target`; fails listing each input that panicked.
fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut inputs = files_in(&root.join("fuzz/seeds").join(target));
    inputs.extend(files_in(&root.join("fuzz/regressions").join(target)));
    if PROVIDERS.contains(&target) {
        for provider in PROVIDERS {
            let dir = provider.replace('_', "-");
            inputs.extend(files_in(&root.join("tests/fixtures").join(dir)));
        }
    }
    assert!(!inputs.is_empty(), "no inputs for {target}");
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("readable input");
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on: {failed:#?}");
}

#[test]
fn cloudflare_inputs_pass_the_fuzz_checks() {
    replay("cloudflare", fuzz_checks::cloudflare);
}

#[test]
fn fastpix_inputs_pass_the_fuzz_checks() {
    replay("fastpix", fuzz_checks::fastpix);
}

#[test]
fn gcore_inputs_pass_the_fuzz_checks() {
    replay("gcore", fuzz_checks::gcore);
}

#[test]
fn cloudflare_stream_inputs_pass_the_fuzz_checks() {
    replay("cloudflare_stream", fuzz_checks::cloudflare_stream);
}

#[test]
fn ivs_inputs_pass_the_fuzz_checks() {
    replay("ivs", fuzz_checks::ivs);
}

#[test]
fn mux_inputs_pass_the_fuzz_checks() {
    replay("mux", fuzz_checks::mux);
}

#[test]
fn livepeer_inputs_pass_the_fuzz_checks() {
    replay("livepeer", fuzz_checks::livepeer);
}

#[test]
fn srs_inputs_pass_the_fuzz_checks() {
    replay("srs", fuzz_checks::srs);
}

#[test]
fn nginx_rtmp_inputs_pass_the_fuzz_checks() {
    replay("nginx_rtmp", fuzz_checks::nginx_rtmp);
}

#[test]
fn mediamtx_inputs_pass_the_fuzz_checks() {
    replay("mediamtx", fuzz_checks::mediamtx);
}

#[test]
fn ovenmediaengine_inputs_pass_the_fuzz_checks() {
    replay("ovenmediaengine", fuzz_checks::ovenmediaengine);
}

#[test]
fn auth_inputs_pass_the_fuzz_checks() {
    replay("auth", fuzz_checks::auth);
}

#[test]
fn subscribers_inputs_pass_the_fuzz_checks() {
    replay("subscribers", fuzz_checks::subscribers);
}

#[test]
fn headers_inputs_pass_the_fuzz_checks() {
    replay("headers", fuzz_checks::headers);
}
