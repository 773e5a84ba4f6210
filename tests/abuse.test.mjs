// Forgery and abuse against a production-configured worker (no ALERT_ALLOW_LOOPBACK): replays,
// forged and truncated credentials, oversized headers, senders outside Gcore's range, token
// guessing, subscriber URLs aimed at internal networks, huge and deeply nested JSON. Every hostile
// request gets a 4xx (a replay of a genuine delivery: a 2xx "duplicate", see docs/reliability.md) and
// changes nothing; at the end every output is searched for secrets and stream keys.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, fixture, cloudflare, fastpix, gcore, send, fastpixSignature, cfErrored, cfDisconnected,
  eventually, sleep, SECRETS, FASTPIX_KEY, STREAM_KEY_SENTINELS, GCORE_IP,
} from "./helpers.mjs";

let w;
/** Every response body the worker gave in this file (searched for secrets at the end). */
const seen = [];
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

async function hit(req) {
  const r = await send(w, req);
  seen.push(r.text);
  return r;
}

/** A hostile request: a 4xx with a short JSON error (never a 5xx). */
async function refused(req, status) {
  const r = await hit(req);
  assert.ok(r.status >= 400 && r.status < 500, `${req[0]} → ${r.status} ${r.text.slice(0, 200)}`);
  if (status) assert.equal(r.status, status, r.text);
  assert.equal(typeof r.body.error, "string", r.text);
  assert.ok(r.text.length < 400, "short error body");
  return r;
}

/** Snapshot of everything the worker keeps: KV (keys and values), alerts, subscriptions. */
async function snapshot() {
  const kv = {};
  for (const k of await w.kvKeys()) kv[k] = await w.kv.get(k);
  const alerts = (await w.api("/alerts?limit=100")).body.alerts;
  const subs = (await w.api("/subscriptions")).body;
  return { kv, alerts, subs };
}

const CF_ERRORED = fixture("cloudflare", "seed-001-errored-fixed.json");
const CF_DISCONNECTED = fixture("cloudflare", "seed-001-disconnected.json");
const FP = fixture("fastpix", "live-stream-active.json");
const GC = fixture("gcore", "stream-started.json");

test("replayed Cloudflare and FastPix deliveries change nothing and raise no second alert", async () => {
  const input = "feedc0de00000000000000000000abcd";
  const at = (s) => new Date(Date.UTC(2026, 10, 1, 12, 0, s)).toISOString();
  const erroredBody = cfErrored({ input, at: at(1) });
  assert.equal((await hit(cloudflare(erroredBody))).body.outcome, "applied");
  const before = await snapshot();
  assert.equal(before.alerts.length, 1);
  // The same delivery again, five times, concurrently: what a retrying provider (or a replayer) sends.
  const replays = await Promise.all(Array.from({ length: 5 }, () => hit(cloudflare(erroredBody))));
  for (const r of replays) assert.deepEqual([r.status, r.body.outcome, r.body.alert_queued], [200, "duplicate", false], r.text);
  // A newer event, then the old captured errored delivery replayed: stale, the status stays put.
  assert.equal((await hit(cloudflare(cfDisconnected({ input, at: at(2) })))).body.outcome, "applied");
  const replay = await hit(cloudflare(erroredBody));
  assert.equal(replay.status, 200);
  assert.notEqual(replay.body.outcome, "applied", replay.text);
  assert.equal(replay.body.alert_queued, false);
  // KV writes for one stream are at most one a second: wait for the disconnected record.
  const rec = await eventually(async () => {
    const r = await w.kv.get(`status:cloudflare:live_input:${input}`, "json");
    return r?.state === "disconnected" && r;
  });
  assert.equal(rec?.last_event, "live_input.disconnected");
  await sleep(1200); // and for nothing else to follow it
  assert.equal((await w.kv.get(`status:cloudflare:live_input:${input}`, "json")).state, "disconnected");

  assert.equal((await hit(fastpix(FP))).status, 200);
  const fpBefore = await snapshot();
  for (let i = 0; i < 3; i++) {
    const r = await hit(fastpix(FP));
    assert.deepEqual([r.status, r.body.outcome], [200, "duplicate"], r.text);
  }
  const after = await snapshot();
  assert.deepEqual(after.alerts, fpBefore.alerts);
  assert.deepEqual(after.kv, fpBefore.kv);
  assert.equal(after.alerts.length, 1, "still one alert");
});

test("forged, truncated and oversized credentials are 401s and write nothing", async () => {
  const before = await snapshot();
  const wrongKey = Buffer.from("not-the-fastpix-key");
  const sig = fastpixSignature(FP);
  const forged = [
    // Cloudflare: wrong secret, a prefix of it, the secret with junk after it, 8 KiB of junk, case.
    cloudflare(CF_ERRORED, "wrong"),
    cloudflare(CF_ERRORED, SECRETS.CF_WEBHOOK_SECRET.slice(0, -1)),
    cloudflare(CF_ERRORED, SECRETS.CF_WEBHOOK_SECRET + "x"),
    cloudflare(CF_ERRORED, SECRETS.CF_WEBHOOK_SECRET.toUpperCase()),
    cloudflare(CF_ERRORED, "x".repeat(8192)),
    cloudflare(CF_ERRORED, ""),
    // FastPix: the wrong key, a signature of another body, truncated, padded, not base64, hex, huge.
    fastpix(FP, fastpixSignature(FP, wrongKey)),
    fastpix(FP, fastpixSignature(CF_ERRORED)),
    fastpix(FP, sig.slice(0, sig.length - 4)),
    fastpix(FP, sig + "AAAA"),
    fastpix(FP, "!!!!not-base64!!!!"),
    fastpix(FP, Buffer.from(sig, "base64").toString("hex")),
    fastpix(FP, sig.repeat(200)),
    fastpix(FP, ""),
    // The right signature on a tampered body (one byte changed, or the body truncated).
    fastpix(Buffer.from(FP.toString().replace("active", "idle__")), sig),
    fastpix(FP.subarray(0, FP.length - 10), sig),
    // Gcore from inside the range with a wrong, truncated or padded token.
    gcore(GC, { token: "wrong" }),
    gcore(GC, { token: SECRETS.GCORE_WEBHOOK_TOKEN.slice(0, -1) }),
    gcore(GC, { token: SECRETS.GCORE_WEBHOOK_TOKEN + "0" }),
    gcore(GC, { token: "x".repeat(4096) }),
  ];
  for (const req of forged) await refused(req, 401);
  assert.deepEqual(await snapshot(), before);
});

test("headers far larger than any credential are refused before the worker or with a 4xx", async () => {
  const before = await snapshot();
  // 64 KiB in the credential header, then 64 KiB of extra headers: the runtime may refuse these
  // itself (431) or hand them to the worker (401); either way a 4xx and nothing written.
  const big = "y".repeat(64 * 1024);
  const [p, init] = cloudflare(CF_ERRORED, big);
  for (const req of [[p, init], cloudflare(CF_ERRORED, SECRETS.CF_WEBHOOK_SECRET)]) {
    const headers = { ...req[1].headers };
    if (req[1].headers["cf-webhook-auth"] === SECRETS.CF_WEBHOOK_SECRET) {
      for (let i = 0; i < 16; i++) headers[`x-pad-${i}`] = "z".repeat(4096);
      headers["cf-webhook-auth"] = "wrong";
    }
    const r = await w.call(req[0], { ...req[1], headers });
    const text = await r.text();
    seen.push(text);
    assert.ok(r.status >= 400 && r.status < 500, `${r.status} ${text.slice(0, 200)}`);
  }
  assert.deepEqual(await snapshot(), before);
});

test("Gcore senders outside the range get a 403 whatever the token, and X-Forwarded-For is not trusted", async () => {
  const before = await snapshot();
  const outside = ["10.0.0.1", "127.0.0.1", "92.223.124.1", "92.223.122.255", "2001:db8::1", "::ffff:10.0.0.1", "not an ip", "92.223.123.10, 10.0.0.1"];
  for (const ip of outside) {
    // The right token and a wrong one get the same answer: the range is checked first.
    const right = await refused(gcore(GC, { ip }), 403);
    const wrong = await refused(gcore(GC, { ip, token: "guess" }), 403);
    assert.equal(right.text, wrong.text, ip);
  }
  // A spoofed X-Forwarded-For does not help: only CF-Connecting-IP (set by Cloudflare) counts.
  const [p, init] = gcore(GC, { ip: "10.0.0.1" });
  await refused([p, { ...init, headers: { ...init.headers, "X-Forwarded-For": GCORE_IP, "X-Real-IP": GCORE_IP } }], 403);
  assert.deepEqual(await snapshot(), before);
});

test("guessing tokens: 1 000 wrong Gcore tokens and bearer tokens are all refused, nothing written", async () => {
  const before = await snapshot();
  const guesses = Array.from({ length: 500 }, (_, i) => {
    // Half random, half sharing all but the last character with the real token.
    const real = i % 2 ? SECRETS.GCORE_WEBHOOK_TOKEN : SECRETS.STATUS_API_TOKEN;
    return i % 4 < 2 ? real.slice(0, -1) + String.fromCharCode(33 + (i % 90)) : Math.random().toString(36).slice(2);
  }).filter((g) => g !== SECRETS.GCORE_WEBHOOK_TOKEN && g !== SECRETS.STATUS_API_TOKEN);
  const statuses = new Map();
  const count = (s) => statuses.set(s, (statuses.get(s) ?? 0) + 1);
  for (let i = 0; i < guesses.length; i += 50) {
    const batch = guesses.slice(i, i + 50);
    const rs = await Promise.all(batch.flatMap((g) => [
      send(w, gcore(GC, { token: encodeURIComponent(g) })),
      send(w, ["/streams", { headers: { Authorization: `Bearer ${g}` } }]),
    ]));
    for (const r of rs) count(r.status);
  }
  assert.deepEqual([...statuses.keys()], [401], JSON.stringify([...statuses]));
  assert.equal(statuses.get(401), guesses.length * 2);
  assert.deepEqual(await snapshot(), before);
});

test("subscriber URLs aimed at loopback, private, link-local or reserved addresses are refused in production", async () => {
  const before = await snapshot();
  const targets = [
    "http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "https://127.1/", "https://0x7f000001/",
    "https://2130706433/", "https://0177.0.0.1/", "https://localhost/", "https://LOCALHOST./",
    "https://api.localhost/", "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/",
    "https://[::127.0.0.1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a9fe:a9fe::]/",
    "https://0.0.0.0/", "https://10.1.2.3/", "https://172.16.0.1/", "https://192.168.0.1/",
    "https://169.254.169.254/latest/meta-data/", "https://[fe80::1]/", "https://[fd00::1]/",
    "https://100.64.0.1/", "https://255.255.255.255/", "https://224.0.0.1/", "https://[ff02::1]/",
    "https://user:pass@example.com/", "http://example.com/hook", "ftp://example.com/",
    "file:///etc/passwd", "javascript:alert(1)", "https://", "not a url", `https://example.com/${"a".repeat(2100)}`,
  ];
  const accepted = [];
  for (const url of targets) {
    const r = await w.api("/subscriptions", { method: "POST", body: { url } });
    seen.push(r.text);
    if (r.status !== 400 || r.body.error !== "invalid_subscriber") accepted.push(`${url} → ${r.status}`);
  }
  assert.deepEqual(accepted, []);
  // Hostile bodies for the same route.
  for (const body of ["", "{", "[]", '{"url":1}', '{"url":"https://example.com","extra":1}', '{"url":"https://example.com","format":"email"}',
    '{"url":"https://example.com","filter":{"states":["melting"]}}', JSON.stringify({ url: "https://example.com", filter: { stream_ids: Array(5000).fill("a") } })]) {
    const r = await w.api("/subscriptions", { method: "POST", body });
    seen.push(r.text);
    assert.equal(r.status, 400, `${body.slice(0, 60)} → ${r.text}`);
  }
  assert.deepEqual(await snapshot(), before);
});

test("huge and deeply nested JSON is a 400 (or, for another provider's event type, a 2xx ignored), nothing written", async () => {
  const before = await snapshot();
  const deep = (n) => "[".repeat(n) + "]".repeat(n);
  const deepObj = (n) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
  const within = 60 * 1024;
  const bodies = [
    deep(within / 2),
    deepObj(within / 6),
    // Deep nesting inside the fields each provider reads.
    `{"data":${deep(20000)}}`,
    `{"type":"stream","message":${deepObj(8000)}}`,
    `{"type":"video.live_stream.active","data":${deepObj(8000)}}`,
    // Huge values where ids and times go.
    JSON.stringify({ data: { input_id: "a".repeat(within), event_type: "live_input.connected", updated_at: "2026-11-01T00:00:00Z" } }),
    JSON.stringify({ type: "video.live_stream.active", object: { type: "livestream", id: "a".repeat(within) }, data: {} }),
    JSON.stringify({ type: "stream", message: { stream: { id: 1e308, live: true } } }),
    '{"data":{"input_id":"abc","event_type":"live_input.connected","updated_at":"' + "9".repeat(5000) + '"}}',
    `[${Array(20000).fill("{}").join(",")}]`,
    `{"a":1e99999999}`,
    "\u0000".repeat(1000),
    Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
  ];
  const makers = { cloudflare: (b) => cloudflare(b), fastpix: (b) => fastpix(b), gcore: (b) => gcore(b) };
  // An authenticated body whose `type` is another provider's is that provider's unknown event
  // type: a 2xx "ignored" (a 4xx would make the provider retry it forever), still nothing written.
  const ignored = [];
  for (const [i, body] of bodies.entries()) {
    for (const [name, make] of Object.entries(makers)) {
      const r = await hit(make(body));
      if (r.status === 200 && r.body.outcome === "ignored") {
        ignored.push(`${name} #${i}`);
        continue;
      }
      assert.equal(r.status, 400, `${name} #${i} → ${r.status} ${r.text.slice(0, 200)}`);
      assert.ok(r.text.length < 400, "short error body");
    }
    const r = await w.api("/subscriptions", { method: "POST", body: Buffer.isBuffer(body) ? body.toString("latin1") : body });
    seen.push(r.text);
    assert.equal(r.status, 400, r.text.slice(0, 200));
  }
  // #3, #7: Gcore-shaped bodies sent to FastPix; #4, #6: FastPix-shaped bodies sent elsewhere.
  assert.deepEqual(ignored.sort(), ["cloudflare #4", "cloudflare #6", "fastpix #3", "fastpix #7", "gcore #4", "gcore #6"]);
  assert.deepEqual(await snapshot(), before);
});

test("no response, log line, KV value or alert contains a secret or a stream key", async () => {
  // One genuine event of each provider, so the outputs below are not empty.
  assert.equal((await hit(cloudflare(CF_DISCONNECTED))).status, 200);
  assert.equal((await hit(gcore(GC))).status, 200);
  for (const name of ["live-stream-connected.json", "simulcast-target-created.json"]) {
    assert.equal((await hit(fastpix(fixture("fastpix", name)))).status, 200);
  }
  const state = await snapshot();
  const outputs = [
    ...seen,
    w.logs.join(""),
    JSON.stringify(state),
    (await w.api("/streams?limit=100")).text,
    (await w.api("/healthz")).text,
  ];
  for (const a of state.alerts) outputs.push((await w.api(`/alerts/${a.id}`)).text);
  const forbidden = [...Object.values(SECRETS), FASTPIX_KEY.toString("utf8"), ...STREAM_KEY_SENTINELS];
  const haystack = outputs.join("\n");
  assert.ok(haystack.length > 10_000, `searched ${haystack.length} chars`);
  for (const s of forbidden) assert.ok(!haystack.includes(s), `an output contains ${s}`);
});
