// Rotation without downtime, on the real built Wasm: a second value (`NAME_NEXT`) for every
// inbound credential is accepted beside the first, and a subscriber's signing secret rotates with
// both signatures on every delivery for a day (verified by the independent standardwebhooks
// library). Also: subscriber URLs that are IP literals are refused with a reason.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import {
  startWorker, send, cloudflare, fastpix, fastpixSignature, ivs, mux, fixture, cfErrored, eventually,
  SECRETS, FAST_ALERTS, runCleanups,
} from "./helpers.mjs";
import { startReceiver, isIncidentNotice } from "./receiver.mjs";

const cleanups = [];
afterEach(async () => { await runCleanups(cleanups); });

const NEXT = {
  CF_WEBHOOK_SECRET_NEXT: "next-cf-secret",
  // Base64, as FastPix shows it: "next-fastpix-key".
  FASTPIX_WEBHOOK_SECRET_NEXT: Buffer.from("next-fastpix-key").toString("base64"),
  MUX_WEBHOOK_SECRET_NEXT: "next-mux-secret",
  IVS_WEBHOOK_TOKEN_NEXT: "next-ivs-token",
  STATUS_API_TOKEN_NEXT: "next-api-token",
};

async function worker(vars) {
  const w = await startWorker({ vars: { ...FAST_ALERTS, ...vars } });
  cleanups.push(() => w.dispose());
  return w;
}

test("inbound credentials: the current and the _NEXT value are both accepted, nothing else", async () => {
  const w = await worker(NEXT);
  const body = fixture("fastpix", "live-stream-active.json");
  const cases = [
    ["cloudflare current", cloudflare(fixture("cloudflare", "connected.json"))],
    ["cloudflare next", cloudflare(fixture("cloudflare", "connected.json"), NEXT.CF_WEBHOOK_SECRET_NEXT)],
    ["fastpix current", fastpix(body)],
    ["fastpix next", fastpix(body, fastpixSignature(body, Buffer.from("next-fastpix-key")))],
    ["mux current", mux(fixture("mux", "live-stream-idle.json"))],
    ["mux next", mux(fixture("mux", "live-stream-idle.json"), { secret: NEXT.MUX_WEBHOOK_SECRET_NEXT })],
    ["ivs current", ivs(fixture("ivs", "stream-start.json"))],
    ["ivs next", ivs(fixture("ivs", "stream-start.json"), { token: NEXT.IVS_WEBHOOK_TOKEN_NEXT })],
  ];
  for (const [what, req] of cases) {
    const r = await send(w, req);
    assert.equal(r.status, 200, `${what}: ${r.text}`);
  }
  for (const [what, req] of [
    ["cloudflare other", cloudflare(fixture("cloudflare", "connected.json"), "neither-value")],
    ["mux other", mux(fixture("mux", "live-stream-idle.json"), { secret: "neither-value" })],
    ["ivs other", ivs(fixture("ivs", "stream-start.json"), { token: "neither-value" })],
  ]) {
    const r = await send(w, req);
    assert.equal(r.status, 401, `${what}: ${r.text}`);
  }
  // The API token: either value, and nothing else.
  for (const [token, status] of [[SECRETS.STATUS_API_TOKEN, 200], [NEXT.STATUS_API_TOKEN_NEXT, 200], ["neither-value", 401]]) {
    const r = await w.call("/streams", { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, status, token);
    await r.arrayBuffer();
  }
  // /healthz says which next values are set, never a value.
  const health = await (await w.call("/healthz")).json();
  assert.deepEqual(health.providers.cloudflare.next_values, ["CF_WEBHOOK_SECRET_NEXT"]);
  assert.deepEqual(health.providers.fastpix.next_values, ["FASTPIX_WEBHOOK_SECRET_NEXT"]);
  assert.equal(health.providers.gcore.next_values, undefined);
  assert.deepEqual(health.status_api.next_values, ["STATUS_API_TOKEN_NEXT"]);
  const text = JSON.stringify(health);
  for (const v of Object.values(NEXT)) assert.ok(!text.includes(v), v);
  const logs = w.logs.join("");
  for (const v of Object.values(NEXT)) assert.ok(!logs.includes(v), `a next value in the logs: ${v}`);
});

test("a subscriber's secret rotates: deliveries carry both signatures, either verifies", async () => {
  const w = await worker({});
  const rx = await startReceiver({ setAside: isIncidentNotice });
  cleanups.push(() => rx.close());
  const created = await w.api("/subscriptions", { method: "POST", body: { url: `${rx.url}/hook` } });
  assert.equal(created.status, 201, created.text);
  const old = created.body.secret;
  const before = Date.now();
  const rotated = await w.api(`/subscriptions/${created.body.id}/rotate`, { method: "POST" });
  assert.equal(rotated.status, 200, rotated.text);
  const fresh = rotated.body.secret;
  assert.match(fresh, /^whsec_[A-Za-z0-9+/]{32}$/);
  assert.notEqual(fresh, old);
  assert.equal(rotated.body.id, created.body.id);
  const until = Date.parse(rotated.body.previous_secret_signs_until);
  assert.ok(until >= before + 24 * 3600_000 - 1000 && until <= Date.now() + 24 * 3600_000 + 1000, rotated.text);
  // Shown once: reading the subscriber shows neither secret.
  const read = await w.api(`/subscriptions/${created.body.id}`);
  assert.ok(!read.text.includes(fresh) && !read.text.includes(old), read.text);
  assert.equal(read.body.previous_secret_signs_until, rotated.body.previous_secret_signs_until);

  const r = await send(w, cloudflare(cfErrored({ code: "ERR_GOP_OUT_OF_RANGE" })));
  assert.equal(r.body.alert_queued, true, r.text);
  await eventually(() => rx.hits.length === 1);
  const hit = rx.hits[0];
  assert.equal(hit.headers["webhook-signature"].split(" ").length, 2);
  assert.equal(new Webhook(fresh).verify(hit.body, hit.headers).type, "stream.errored");
  assert.equal(new Webhook(old).verify(hit.body, hit.headers).type, "stream.errored");
  assert.throws(() => new Webhook("whsec_" + Buffer.alloc(24, 7).toString("base64")).verify(hit.body, hit.headers));
  const logs = w.logs.join("");
  assert.ok(!logs.includes(fresh) && !logs.includes(old), "no secret in the logs");
});

test("rotate: only for API webhook subscribers, with the usual auth and errors", async () => {
  const w = await worker({
    ALERT_SUBSCRIBERS: "https://hooks.slack.com/services/T000/B000/CONFIGSECRET",
  });
  const slack = await w.api("/subscriptions", { method: "POST", body: { url: "https://hooks.slack.com/services/T1/B1/x", format: "slack" } });
  assert.equal(slack.status, 201, slack.text);
  const r409 = await w.api(`/subscriptions/${slack.body.id}/rotate`, { method: "POST" });
  assert.equal(r409.status, 409, r409.text);
  assert.match(r409.body.message, /slack subscriber has no signing secret/);
  const configured = (await w.api("/subscriptions")).body.subscriptions.find((s) => s.source === "config");
  const cfg = await w.api(`/subscriptions/${configured.id}/rotate`, { method: "POST" });
  assert.equal(cfg.status, 409);
  assert.match(cfg.body.message, /ALERT_WEBHOOK_SECRET_NEXT/);
  assert.equal((await w.api("/subscriptions/sub_0123456789abcdef0123/rotate", { method: "POST" })).status, 404);
  const get = await w.api(`/subscriptions/${slack.body.id}/rotate`);
  assert.equal(get.status, 405);
  const anon = await w.call(`/subscriptions/${slack.body.id}/rotate`, { method: "POST" });
  assert.equal(anon.status, 401);
  await anon.arrayBuffer();
});

test("subscriber URLs that are IP literals are refused with the reason, public ones included", async () => {
  const w = await worker({ ALERT_ALLOW_LOOPBACK: "false" });
  for (const url of ["https://93.184.216.34/hook", "https://[2606:4700::1111]/hook", "https://10.0.0.1/x"]) {
    const r = await w.api("/subscriptions", { method: "POST", body: { url } });
    assert.equal(r.status, 400, url);
    assert.equal(r.body.error, "invalid_subscriber");
    assert.match(r.body.message, /IP addresses are not allowed \(deployed Workers cannot fetch them\): use a host name/);
    assert.ok(!r.text.includes("93.184") && !r.text.includes("2606"), "the URL is never echoed");
  }
  const ok = await w.api("/subscriptions", { method: "POST", body: { url: "https://alerts.example.com/hook" } });
  assert.equal(ok.status, 201, ok.text);
});
