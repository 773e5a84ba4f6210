// Bad input: a clear 4xx with a short JSON error, nothing written, never a 5xx.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, fixture, cloudflare, fastpix, gcore, send, fastpixSignature, SECRETS } from "./helpers.mjs";

let w;
before(async () => { w = await startWorker(); });
after(async () => { await w.dispose(); });

const CF = fixture("cloudflare", "seed-000-disconnected.json");
const FP = fixture("fastpix", "live-stream-active.json");
const GC = fixture("gcore", "stream-started.json");

async function expectError(req, status, code) {
  const r = await send(w, req);
  assert.equal(r.status, status, `${req[0]} → ${r.text}`);
  assert.equal(r.body.error, code, r.text);
  assert.equal(typeof r.body.message, "string");
  assert.ok(r.text.length < 300, "short body");
  for (const s of Object.values(SECRETS)) assert.ok(!r.text.includes(s), "no secret in the body");
  return r;
}

test("seed 001's errored example as published (trailing comma) is a 400 invalid_json", async () => {
  await expectError(cloudflare(fixture("cloudflare", "seed-001-errored-as-published.json.invalid")), 400, "invalid_json");
});

test("malformed JSON, empty bodies and wrong shapes are 400s for every provider", async () => {
  for (const make of [(b) => cloudflare(b), (b) => fastpix(b), (b) => gcore(b)]) {
    await expectError(make("{not json"), 400, "invalid_json");
    await expectError(make(""), 400, "empty_body");
    await expectError(make("[1,2,3]"), 400, "invalid_payload");
    await expectError(make('"a string"'), 400, "invalid_payload");
  }
  await expectError(cloudflare('{"data":{"input_id":"x/../y","event_type":"live_input.connected"}}'), 400, "invalid_payload");
  await expectError(gcore('{"type":"stream","message":{"stream":{"id":1}}}'), 400, "invalid_payload");
  await expectError(fastpix('{"type":"video.live_stream.active","data":{}}'), 400, "invalid_payload");
});

test("a body over 64 KiB is a 413, with or without Content-Length", async () => {
  const big = JSON.stringify({ pad: "x".repeat(70 * 1024) });
  await expectError(cloudflare(big), 413, "payload_too_large");
  // Streamed without a length: the worker stops reading at the limit.
  const stream = new ReadableStream({
    start(c) { for (let i = 0; i < 9; i++) c.enqueue(new TextEncoder().encode("x".repeat(8192))); c.close(); }, // 72 KiB
  });
  const [p, init] = cloudflare(null);
  await expectError([p, { ...init, body: stream, duplex: "half" }], 413, "payload_too_large");
});

test("wrong methods are 405 with Allow, unknown routes 404", async () => {
  const r = await expectError(["/webhooks/cloudflare", { method: "GET" }], 405, "method_not_allowed");
  assert.equal(r.headers.get("allow"), "POST");
  await expectError(["/streams", { method: "POST" }], 405, "method_not_allowed");
  await expectError(["/healthz", { method: "DELETE" }], 405, "method_not_allowed");
  await expectError(["/nope", {}], 404, "not_found");
  await expectError(["/webhooks/other", { method: "POST", body: "{}" }], 404, "not_found");
  await expectError(["/webhooks/gcore", { method: "POST", body: "{}" }], 404, "not_found");
});

test("missing or wrong credentials are 401/403", async () => {
  await expectError(cloudflare(CF, null), 401, "unauthorized");
  await expectError(cloudflare(CF, "wrong"), 401, "unauthorized");
  await expectError(fastpix(FP, null), 401, "unauthorized");
  await expectError(fastpix(FP, fastpixSignature(FP, Buffer.from("wrong key"))), 401, "unauthorized");
  await expectError(fastpix(FP, fastpixSignature(FP).slice(0, 20)), 401, "unauthorized");
  await expectError(fastpix(Buffer.concat([FP, Buffer.from(" ")]), fastpixSignature(FP)), 401, "unauthorized");
  await expectError(gcore(GC, { token: "wrong" }), 401, "unauthorized");
  await expectError(gcore(GC, { ip: "10.0.0.1" }), 403, "forbidden");
  await expectError(gcore(GC, { ip: "92.223.124.1" }), 403, "forbidden");
  // miniflare, like Cloudflare, always supplies CF-Connecting-IP: here a loopback address.
  await expectError(gcore(GC, { ip: null }), 403, "forbidden");
  await expectError(["/streams", {}], 401, "unauthorized");
  await expectError(["/streams", { headers: { Authorization: "Bearer nope" } }], 401, "unauthorized");
  await expectError(["/alerts", { headers: { Authorization: "Bearer nope" } }], 401, "unauthorized");
  await expectError(["/streams/cloudflare/abc", {}], 401, "unauthorized");
});

test("bad query parameters are 400s", async () => {
  const h = { headers: { Authorization: `Bearer ${SECRETS.STATUS_API_TOKEN}` } };
  await expectError(["/streams?limit=0", h], 400, "bad_request");
  await expectError(["/streams?limit=1000", h], 400, "bad_request");
  await expectError(["/streams?state=melting", h], 400, "bad_request");
  await expectError(["/streams?provider=youtube", h], 400, "bad_request");
  await expectError(["/alerts?limit=abc", h], 400, "bad_request");
});

test("none of the above wrote anything", async () => {
  assert.deepEqual(await w.kvKeys(), []);
  const alerts = await w.api("/alerts");
  assert.deepEqual(alerts.body.alerts, []);
});

test("a provider without its secret fails closed and /healthz says so", async () => {
  const bare = await startWorker({ bindings: { STATUS_API_TOKEN: SECRETS.STATUS_API_TOKEN } });
  try {
    for (const req of [cloudflare(CF), fastpix(FP), gcore(GC)]) {
      const r = await send(bare, req);
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error, "not_configured");
    }
    const h = await send(bare, ["/healthz", {}]);
    assert.equal(h.status, 200);
    for (const p of ["cloudflare", "fastpix", "gcore"]) assert.equal(h.body.providers[p].configured, false, p);
    assert.equal(h.body.status_api.configured, true);
    assert.deepEqual(await bare.kvKeys(), []);
  } finally {
    await bare.dispose();
  }
});
