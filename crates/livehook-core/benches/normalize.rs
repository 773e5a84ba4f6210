//! Host micro-benchmarks (divan): what one event costs in the pure core, per provider, on the
//! seed payloads (parse alone, and with authentication); the ordering decision; and the
//! per-event cost of the stateful part with 10 to 100 000 streams.
//! Run: `cargo bench --bench normalize` (or `npm run bench`, which also runs the end-to-end
//! part); parse and normalize alone: `cargo bench --bench normalize -- parse`.

use std::collections::HashMap;
use std::hint::black_box;

use divan::{counter::ItemsCount, Bencher};
use livehook_core::ingest::auth::{self, Cidr, Secret};
use livehook_core::ingest::event::{Event, Kind, State};
use livehook_core::ingest::providers::{self, cloudflare, fastpix, gcore, Parsed, Provider};
use livehook_core::ordering::StreamLedger;

fn main() {
    divan::main();
}

const NOW: i64 = 1_795_000_000_000_000_000;
const CF_SECRET: &str = "bench-cf-secret";
const FASTPIX_KEY: &[u8] = b"livehook-fastpix-test-key";
const GCORE_TOKEN: &str = "bench-gcore-token";

/// The seed payloads of one provider (the fixtures), with what authenticates each.
fn corpus(provider: &str) -> Vec<(Vec<u8>, String)> {
    let dir = format!(
        "{}/../../tests/fixtures/{provider}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|body| {
            let credential = match provider {
                "fastpix" => fastpix::sign(FASTPIX_KEY, &body).unwrap_or_default(),
                "cloudflare" => CF_SECRET.to_owned(),
                _ => GCORE_TOKEN.to_owned(),
            };
            (body, credential)
        })
        .collect()
}

fn provider(name: &str) -> &'static Provider {
    providers::find(name).unwrap_or(&cloudflare::CLOUDFLARE)
}

/// Authenticate, parse and normalize every seed payload of a provider (items = payloads).
#[divan::bench(args = ["cloudflare", "fastpix", "gcore"])]
fn normalize(b: Bencher, name: &str) {
    let events = corpus(name);
    let p = provider(name);
    let cf = Secret::new(Some(CF_SECRET.into()));
    let fastpix = Secret::new(Some(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        FASTPIX_KEY,
    )));
    let gcore = Secret::new(Some(GCORE_TOKEN.into()));
    let cidrs = Cidr::parse_list("92.223.123.0/24").unwrap_or_default();
    b.counter(ItemsCount::new(events.len())).bench_local(|| {
        for (body, credential) in &events {
            let ok = match name {
                "cloudflare" => cloudflare::verify(cf.as_ref(), Some(credential)),
                "fastpix" => fastpix::verify(fastpix.as_ref(), Some(credential), body),
                _ => gcore::verify(gcore.as_ref(), &cidrs, credential, Some("92.223.123.10")),
            };
            assert!(ok.is_ok());
            black_box(providers::parse(p, black_box(body), NOW).is_ok());
        }
    });
}

/// Every provider's route (its fixtures are in `tests/fixtures/{route}`).
const ROUTES: [&str; 7] = [
    "cloudflare",
    "cloudflare-stream",
    "fastpix",
    "gcore",
    "ivs",
    "livepeer",
    "mux",
];

/// Parse and normalize only, no authentication: `providers::parse` (bytes to the provider's
/// wire structs, the normalized `Event` built and bounded) on every `tests/fixtures/{route}/
/// *.json` of each of the seven providers, once each per iteration. Items = payloads, so divan's
/// items/s is events/s; ignored types count too, as they cost a parse.
#[divan::bench(args = ROUTES)]
fn parse(b: Bencher, route: &str) {
    let events = corpus(route);
    let p = providers::by_route(route).unwrap_or(&cloudflare::CLOUDFLARE);
    b.counter(ItemsCount::new(events.len())).bench_local(|| {
        for (body, _) in &events {
            black_box(providers::parse(p, black_box(body), NOW).is_ok());
        }
    });
}

/// FastPix events of one stream, each a minute apart, for the stateful benchmarks.
fn stream_events() -> Vec<Event> {
    let mut out = Vec::new();
    for (body, _) in corpus("fastpix") {
        if let Ok(Parsed::Event(e)) = providers::parse(provider("fastpix"), &body, NOW) {
            if e.stream.kind == Kind::LiveInput {
                out.push(*e);
            }
        }
    }
    out
}

/// The ordering decision: 100 events for one stream, delivered in a scrambled order with every
/// third one twice (items = deliveries).
#[divan::bench]
fn ordering(b: Bencher) {
    let base = stream_events();
    let mut events = Vec::new();
    for i in 0..100usize {
        let mut e = base[i % base.len()].clone();
        e.occurred_at = NOW + (i as i64) * 60_000_000_000;
        e.event_id = format!("evt-{i}");
        if e.state == State::Errored {
            e.state = State::Live; // alerts are measured elsewhere
            e.error = None;
        }
        events.push(e);
    }
    let mut order: Vec<usize> = (0..100).map(|i| (i * 37) % 100).collect();
    order.extend((0..100).step_by(3));
    b.counter(ItemsCount::new(order.len())).bench_local(|| {
        let mut st = StreamLedger::default();
        for &i in &order {
            black_box(st.apply(&events[i], 0, &[]));
        }
        black_box(st.version)
    });
}

/// Per-event cost of the stateful part (look up the stream, apply, serialize the record as it
/// is written to KV) with N distinct streams: does it stay flat? (items = events)
#[divan::bench(args = [10, 1_000, 100_000])]
fn streams(b: Bencher, n: usize) {
    let template = stream_events()
        .into_iter()
        .find(|e| e.state == State::Live)
        .expect("a live FastPix fixture");
    let ids: Vec<String> = (0..n).map(|i| format!("stream-{i:06}")).collect();
    let mut states: HashMap<String, StreamLedger> = HashMap::with_capacity(n);
    let mut clock = 0i64;
    let mut next = 0usize;
    const BATCH: usize = 1000;
    b.counter(ItemsCount::new(BATCH)).bench_local(|| {
        for _ in 0..BATCH {
            // A stride through the ids so consecutive events hit different streams.
            next = (next + 7919) % n;
            clock += 1;
            let mut e = template.clone();
            e.stream.id.clone_from(&ids[next]);
            e.occurred_at = NOW + clock;
            e.event_id = clock.to_string();
            let st = states.entry(ids[next].clone()).or_default();
            st.apply(&e, 0, &[]);
            if let Some((_, record)) = st.begin_kv_write(clock as u64 * 1000) {
                black_box(serde_json::to_string(&record).map(|s| s.len()).unwrap_or(0));
            }
        }
    });
}

/// Token guessing: the time to refuse a guess must not depend on how much of it is right.
/// A 32-character token against a guess that is right, right but for the last character,
/// wrong from the first character, and much longer.
#[divan::bench(args = ["right", "last char wrong", "first char wrong", "4 KiB guess"])]
fn token_compare(b: Bencher, guess: &str) {
    let token = Secret::new(Some("k3v9Qm2xT7pL4sW8zR1yB6nC0dF5gH2j".into()));
    let real = token
        .as_ref()
        .map(Secret::expose)
        .unwrap_or_default()
        .to_owned();
    let candidate = match guess {
        "right" => real.clone(),
        "last char wrong" => format!("{}X", &real[..real.len() - 1]),
        "first char wrong" => format!("X{}", &real[1..]),
        _ => "x".repeat(4096),
    };
    let header = format!("Bearer {candidate}");
    b.bench(|| auth::verify_bearer(token.as_ref(), Some(black_box(&header))).is_ok());
}
