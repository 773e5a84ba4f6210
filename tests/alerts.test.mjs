// Alert fan-out end to end on the real built Wasm: subscribers, Standard Webhooks signatures
// checked by an independent library, retries, dead letters, de-duplication, filters, the live
// WebSocket, and a restart in the middle of the backoff. Subscribers are local HTTP receivers.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import {
  startWorker, send, cloudflare, gcore, fixture, cfErrored, cfDisconnected, eventually, sleep,
  SECRETS, FAST_ALERTS, STREAM_KEY_SENTINELS,
  runCleanups,
} from "./helpers.mjs";
import { startReceiver, freePort, isIncidentNotice } from "./receiver.mjs";

const cleanups = [];
afterEach(async () => {
  await runCleanups(cleanups);
});

async function setup({ vars = {}, persist, respond } = {}) {
  const w = await startWorker({ vars: { ...FAST_ALERTS, ...vars }, persist });
  cleanups.push(() => w.dispose());
  // These specs are about alerts: the subscribers' incident notifications are set aside
  // (tests/incidents.test.mjs and tests/paging.test.mjs are about those).
  const rx = await startReceiver({ respond, setAside: isIncidentNotice });
  cleanups.push(() => rx.close());
  return { w, rx };
}

async function subscribe(w, body) {
  const r = await w.api("/subscriptions", { method: "POST", body });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function errored(w, opts) {
  const r = await send(w, cloudflare(cfErrored(opts)));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.alert_queued, true);
}

async function alertRecord(w, id) {
  const r = await w.api(`/alerts/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

test("a webhook subscriber gets the alert, signed so that the standardwebhooks library verifies it", async () => {
  const { w, rx } = await setup();
  const sub = await subscribe(w, { url: `${rx.url}/hook` });
  assert.match(sub.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
  assert.equal(sub.format, "webhook");
  await errored(w, { code: "ERR_GOP_OUT_OF_RANGE" });
  await eventually(() => rx.hits.length === 1);
  assert.equal(rx.hits.length, 1);
  const hit = rx.hits[0];
  const payload = new Webhook(sub.secret).verify(hit.body, hit.headers);
  assert.equal(payload.type, "stream.errored");
  assert.equal(payload.data.provider, "cloudflare");
  assert.equal(payload.data.code, "ERR_GOP_OUT_OF_RANGE");
  assert.ok(payload.data.hint.length > 0);
  assert.match(hit.headers["webhook-id"], /^msg_[0-9a-f]{24}$/);
  // A wrong secret or a tampered body does not verify.
  assert.throws(() => new Webhook("whsec_" + Buffer.alloc(24, 1).toString("base64")).verify(hit.body, hit.headers));
  assert.throws(() => new Webhook(sub.secret).verify(hit.body.replace("errored", "errorer"), hit.headers));
  // The attempt is recorded with its status and latency.
  const rec = await eventually(async () => {
    const r = await alertRecord(w, payload.data.id);
    return r.deliveries[0].status === "delivered" && r;
  });
  assert.equal(rec.deliveries[0].subscriber_id, sub.id);
  assert.equal(rec.deliveries[0].attempts.length, 1);
  assert.equal(rec.deliveries[0].attempts[0].status, 200);
  assert.equal(typeof rec.deliveries[0].attempts[0].latency_ms, "number");
});

test("a subscriber failing three times then recovering receives the alert exactly once more", async () => {
  const { w, rx } = await setup({ respond: (_hit, n) => (n <= 3 ? 500 : 200) });
  await subscribe(w, { url: rx.url });
  await errored(w, {});
  await eventually(() => rx.hits.length >= 4, 10000);
  await sleep(1500); // longer than the rest of the schedule: nothing more may come
  assert.equal(rx.hits.length, 4);
  assert.equal(new Set(rx.hits.map((h) => h.headers["webhook-id"])).size, 1, "one webhook-id across retries");
  const id = rx.json(0).data.id;
  const rec = await alertRecord(w, id);
  assert.deepEqual(rec.deliveries[0].attempts.map((a) => a.status), [500, 500, 500, 200]);
  assert.equal(rec.deliveries[0].status, "delivered");
  // Each retry waited at least the schedule's 300 ms minus 20 % jitter.
  for (let i = 1; i < 4; i++) assert.ok(rx.hits[i].at - rx.hits[i - 1].at >= 240, `gap ${i}`);
});

test("Retry-After is honoured", async () => {
  const { w, rx } = await setup({ respond: (_hit, n) => (n === 1 ? { status: 429, headers: { "Retry-After": "2" } } : 200) });
  await subscribe(w, { url: rx.url });
  await errored(w, {});
  await eventually(() => rx.hits.length === 2, 8000);
  assert.equal(rx.hits.length, 2);
  assert.ok(rx.hits[1].at - rx.hits[0].at >= 1900, `waited ${rx.hits[1].at - rx.hits[0].at} ms`);
});

test("a 410 disables the subscriber; later alerts are not sent to it", async () => {
  const { w, rx } = await setup({ respond: () => 410 });
  const sub = await subscribe(w, { url: rx.url });
  await errored(w, { input: "11111111111111111111111111111111" });
  const s = await eventually(async () => {
    const r = await w.api(`/subscriptions/${sub.id}`);
    return r.body.enabled === false && r.body;
  });
  assert.equal(s.enabled, false);
  assert.match(s.disabled.reason, /410/);
  await errored(w, { input: "22222222222222222222222222222222" });
  await sleep(800);
  assert.equal(rx.hits.length, 1);
  const list = await w.api("/alerts");
  const newest = list.body.alerts[0];
  assert.equal(newest.stream_id, "22222222222222222222222222222222");
  assert.deepEqual(newest.deliveries, { pending: 0, delivered: 0, dead: 0 });
});

test("after the schedule a delivery is dead-lettered, listed, and a manual retry delivers it", async () => {
  const { w, rx } = await setup({ vars: { ALERT_RETRY_SCHEDULE: "0,200ms,200ms" }, respond: () => 503 });
  await subscribe(w, { url: rx.url });
  await errored(w, {});
  const dead = await eventually(async () => {
    const r = await w.api("/alerts?delivery=dead");
    return r.body.alerts.length === 1 && r.body.alerts[0];
  }, 8000);
  assert.ok(dead, "dead-lettered");
  assert.equal(rx.hits.length, 3);
  let rec = await alertRecord(w, dead.id);
  assert.equal(rec.deliveries[0].status, "dead");
  assert.match(rec.deliveries[0].dead_reason, /exhausted after 3 attempts/);
  rx.respond(() => 200);
  const retry = await w.api(`/alerts/${dead.id}/retry`, { method: "POST" });
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.body.requeued.length, 1);
  rec = await eventually(async () => {
    const r = await alertRecord(w, dead.id);
    return r.deliveries[0].status === "delivered" && r;
  });
  assert.deepEqual(rec.deliveries[0].attempts.map((a) => a.status), [503, 503, 503, 200]);
  assert.equal(new Set(rx.hits.map((h) => h.headers["webhook-id"])).size, 1);
  assert.equal((await w.api("/alerts?delivery=dead")).body.alerts.length, 0);
  assert.equal((await w.api("/alerts/alr_000000000000000000000000/retry", { method: "POST" })).status, 404);
});

test("identical errors within the window are one notification with a repeat count; after it, two", async () => {
  const { w, rx } = await setup({ vars: { ALERT_DEDUPE_SECONDS: "2" } });
  await subscribe(w, { url: rx.url });
  const t0 = Date.now();
  await errored(w, { at: new Date(t0).toISOString() });
  await errored(w, { at: new Date(t0 + 1).toISOString() });
  await errored(w, { at: new Date(t0 + 2).toISOString() });
  // A different code on the same input is a different incident.
  await errored(w, { at: new Date(t0 + 3).toISOString(), code: "ERR_UNSUPPORTED_VIDEO_CODEC" });
  await eventually(() => rx.hits.length >= 2);
  await sleep(500);
  assert.equal(rx.hits.length, 2);
  const list = (await w.api("/alerts")).body.alerts;
  assert.equal(list.length, 2);
  const gop = list.find((a) => a.code === "ERR_GOP_OUT_OF_RANGE");
  assert.equal(gop.repeat_count, 2);
  await sleep(2100 - (Date.now() - t0));
  await errored(w, { at: new Date(Date.now()).toISOString() });
  await eventually(() => rx.hits.length === 3);
  assert.equal(rx.hits.length, 3);
  const third = rx.json(2);
  assert.equal(third.data.code, "ERR_GOP_OUT_OF_RANGE");
  assert.equal(third.data.previous_repeat_count, 2);
});

test("filters route only what matches; state changes reach subscribers who asked for them", async () => {
  const { w, rx } = await setup();
  const mine = "33333333333333333333333333333333";
  const other = "44444444444444444444444444444444";
  const byStream = await subscribe(w, { url: `${rx.url}/by-stream`, filter: { stream_ids: [mine] } });
  await subscribe(w, { url: `${rx.url}/gcore-only`, filter: { providers: ["gcore"] } });
  await subscribe(w, { url: `${rx.url}/quota-only`, filter: { codes: ["ERR_STORAGE_QUOTA_EXHAUSTED"] } });
  await subscribe(w, { url: `${rx.url}/disconnects`, filter: { states: ["disconnected"], stream_ids: [mine] } });
  await errored(w, { input: mine });
  await errored(w, { input: other });
  await eventually(() => rx.hits.length >= 1);
  await sleep(800);
  assert.deepEqual(rx.hits.map((h) => h.path), ["/by-stream"]);
  assert.equal(rx.json(0).data.stream_id, mine);
  // A state change beyond errors, for the subscriber who asked for it only.
  const r = await send(w, cloudflare(cfDisconnected({ input: mine })));
  assert.equal(r.body.alert_queued, true);
  await eventually(() => rx.hits.length === 2);
  await sleep(500);
  assert.deepEqual(rx.hits.map((h) => h.path), ["/by-stream", "/disconnects"]);
  const note = rx.json(1);
  assert.equal(note.type, "stream.disconnected");
  assert.equal(note.data.code, null);
  // Deleting a subscriber stops its deliveries and makes it unknown.
  assert.equal((await w.api(`/subscriptions/${byStream.id}`, { method: "DELETE" })).status, 200);
  assert.equal((await w.api(`/subscriptions/${byStream.id}`)).status, 404);
  await errored(w, { input: mine, code: "ERR_UNSUPPORTED_AUDIO_CODEC" });
  await sleep(800);
  assert.equal(rx.hits.length, 2);
});

test("Slack and Discord subscribers get messages in their own formats", async () => {
  const { w, rx } = await setup();
  await subscribe(w, { url: `${rx.url}/slack`, format: "slack" });
  await subscribe(w, { url: `${rx.url}/discord`, format: "discord" });
  await errored(w, { code: "ERR_UNSUPPORTED_VIDEO_CODEC", message: "HEVC <not> supported" });
  await eventually(() => rx.hits.length === 2);
  const slack = JSON.parse(rx.hits.find((h) => h.path === "/slack").body);
  assert.match(slack.text, /Cloudflare Stream/);
  assert.match(slack.text, /ERR_UNSUPPORTED_VIDEO_CODEC/);
  assert.match(slack.text, /HEVC &lt;not&gt; supported/);
  assert.equal(slack.blocks[0].type, "header");
  const discord = JSON.parse(rx.hits.find((h) => h.path === "/discord").body);
  assert.deepEqual(discord.allowed_mentions, { parse: [] });
  const fields = Object.fromEntries(discord.embeds[0].fields.map((f) => [f.name, f.value]));
  assert.equal(fields.Code, "ERR_UNSUPPORTED_VIDEO_CODEC");
  assert.ok(fields.Hint.length > 0);
  for (const h of rx.hits) assert.equal(h.headers["webhook-signature"], undefined);
});

test("one slow subscriber does not delay the others; its attempt times out", async () => {
  const { w, rx } = await setup({
    vars: { ALERT_ATTEMPT_TIMEOUT: "1500ms" },
    respond: (hit) => (hit.path === "/slow" ? { status: 200, delayMs: 5000 } : 200),
  });
  await subscribe(w, { url: `${rx.url}/slow` });
  const fast = await subscribe(w, { url: `${rx.url}/fast` });
  await errored(w, {});
  await eventually(() => rx.hits.some((h) => h.path === "/fast"));
  const id = JSON.parse(rx.hits.find((h) => h.path === "/fast").body).data.id;
  // When the fast one has its answer, the slow attempt is still open (no result recorded).
  const rec = await eventually(async () => {
    const r = await alertRecord(w, id);
    return r.deliveries.find((d) => d.subscriber_id === fast.id).status === "delivered" && r;
  });
  const slow = rec.deliveries.find((d) => d.subscriber_id !== fast.id);
  assert.equal(slow.attempts.length, 0);
  const timedOut = await eventually(async () => {
    const r = await alertRecord(w, id);
    const d = r.deliveries.find((x) => x.subscriber_id !== fast.id);
    return d.attempts.length > 0 && d.attempts[0];
  });
  assert.equal(timedOut.status, null);
  assert.match(timedOut.error, /timed out after 1500 ms/);
});

test("a WebSocket client receives alerts live (token in a header or as a subprotocol)", async () => {
  const { w } = await setup();
  assert.equal((await w.call("/alerts/live")).status, 401);
  const plain = await w.api("/alerts/live");
  assert.equal(plain.status, 426);
  const token = Buffer.from(SECRETS.STATUS_API_TOKEN).toString("base64url");
  const clients = [
    await w.call("/alerts/live", { headers: { Upgrade: "websocket", Authorization: `Bearer ${SECRETS.STATUS_API_TOKEN}` } }),
    await w.call("/alerts/live", { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": `livehook, bearer.${token}` } }),
  ];
  const inboxes = clients.map((res) => {
    assert.equal(res.status, 101);
    const inbox = [];
    res.webSocket.addEventListener("message", (e) => inbox.push(JSON.parse(e.data)));
    res.webSocket.accept();
    cleanups.push(async () => res.webSocket.close());
    return inbox;
  });
  assert.equal(clients[1].headers.get("Sec-WebSocket-Protocol"), "livehook");
  await errored(w, { code: "ERR_STORAGE_QUOTA_EXHAUSTED" });
  for (const inbox of inboxes) {
    const msg = await eventually(() => inbox.find((m) => m.type === "alert"));
    assert.equal(msg.alert.code, "ERR_STORAGE_QUOTA_EXHAUSTED");
    assert.equal(msg.alert.provider, "cloudflare");
  }
  const bad = await w.call("/alerts/live", { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "bearer.d3Jvbmc" } });
  assert.equal(bad.status, 401);
});

test("with nobody watching, changes skip the hub; a viewer gets every change from a second after it connects", async () => {
  const { w } = await setup();
  // Nobody watches: the first change asks the hub and learns so.
  const at = (s) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  assert.equal((await send(w, cloudflare(cfDisconnected({ input: "gate1", at: at(1) })))).body.outcome, "applied");
  await sleep(100);
  const res = await w.call("/alerts/live", { headers: { Upgrade: "websocket", Authorization: `Bearer ${SECRETS.STATUS_API_TOKEN}` } });
  assert.equal(res.status, 101);
  const inbox = [];
  res.webSocket.addEventListener("message", (e) => inbox.push(JSON.parse(e.data)));
  res.webSocket.accept();
  cleanups.push(async () => res.webSocket.close());
  const changes = () => inbox.filter((m) => m.type === "stream").map((m) => `${m.record.stream_id}:${m.record.state}`);
  // Once the isolate's "nobody watches" is a second old, the next change asks again and arrives,
  // and so does every change after it.
  await sleep(1100);
  for (const [s, input] of [[2, "gate2"], [3, "gate3"], [4, "gate2"]]) {
    assert.equal((await send(w, cloudflare(cfDisconnected({ input, at: at(s) })))).body.outcome, "applied");
  }
  assert.ok(await eventually(() => changes().length === 3), JSON.stringify(changes()));
  assert.deepEqual(changes().sort(), ["gate2:disconnected", "gate2:disconnected", "gate3:disconnected"]);
});

test("the live feed answers ping with pong (the runtime's auto-response for the exact text)", async () => {
  const { w } = await setup();
  const res = await w.call("/alerts/live", { headers: { Upgrade: "websocket", Authorization: `Bearer ${SECRETS.STATUS_API_TOKEN}` } });
  assert.equal(res.status, 101);
  const inbox = [];
  res.webSocket.addEventListener("message", (e) => inbox.push(String(e.data)));
  res.webSocket.accept();
  cleanups.push(async () => res.webSocket.close());
  assert.ok(await eventually(() => inbox.some((m) => m.includes('"hello"'))));
  res.webSocket.send("ping");
  assert.ok(await eventually(() => inbox.filter((m) => m === "pong").length === 1), JSON.stringify(inbox));
  // Not the exact text: the hub itself answers.
  res.webSocket.send(" ping\n");
  assert.ok(await eventually(() => inbox.filter((m) => m === "pong").length === 2), JSON.stringify(inbox));
  res.webSocket.send("hello?");
  await sleep(200);
  assert.equal(inbox.filter((m) => m === "pong").length, 2, "only pings are answered");
});

test("nothing is lost when the worker restarts while a subscriber is down in the backoff", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "livehook-restart-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const vars = { ...FAST_ALERTS, ALERT_RETRY_SCHEDULE: "0,2s,2s,2s,2s" };
  let w = await startWorker({ vars, persist: dir });
  const sub = await subscribe(w, { url: `http://127.0.0.1:${port}/hook` });
  await errored(w, {});
  const first = await eventually(async () => {
    const list = (await w.api("/alerts")).body.alerts;
    if (!list.length) return false;
    const r = await alertRecord(w, list[0].id);
    return r.deliveries[0].attempts.length >= 1 && r;
  });
  assert.equal(first.deliveries[0].attempts[0].status, null, "the subscriber was down");
  assert.equal(first.deliveries[0].status, "pending");
  await w.dispose();
  // The subscriber comes back while the worker is down; the worker restarts on the same state.
  const rx = await startReceiver({ port, setAside: isIncidentNotice });
  cleanups.push(() => rx.close());
  w = await startWorker({ vars, persist: dir });
  cleanups.push(() => w.dispose());
  await eventually(() => rx.hits.length === 1, 10000);
  assert.equal(rx.hits.length, 1);
  const payload = new Webhook(sub.secret).verify(rx.hits[0].body, rx.hits[0].headers);
  assert.equal(payload.data.id, first.alert.id);
});

test("subscriptions: validation, listing without secrets, config-declared subscribers, auth", async () => {
  const { w, rx } = await setup({
    vars: {
      ALERT_SUBSCRIBERS: "https://hooks.slack.com/services/T000/B000/CONFIGSECRET",
    },
  });
  assert.equal((await w.call("/subscriptions")).status, 401);
  assert.equal((await w.call("/subscriptions", { method: "POST", body: "{}" })).status, 401);
  for (const body of ["", "{", "[]", '{"url":"ftp://x"}', '{"url":"https://10.0.0.1/x"}', '{"url":"http://example.com/x"}',
    '{"url":"https://example.com","format":"email"}', '{"url":"https://example.com","filter":{"providers":["youtube"]}}']) {
    const r = await w.api("/subscriptions", { method: "POST", body });
    assert.equal(r.status, 400, body);
    assert.ok(["invalid_subscriber"].includes(r.body.error), r.text);
  }
  assert.equal((await w.api("/subscriptions", { method: "PUT", body: "{}" })).status, 405);
  const created = await subscribe(w, { url: `${rx.url}/x?token=QUERYSECRET`, filter: { providers: ["cloudflare"] } });
  const list = await w.api("/subscriptions");
  assert.equal(list.status, 200);
  assert.equal(list.body.subscriptions.length, 2);
  const fromConfig = list.body.subscriptions.find((s) => s.source === "config");
  assert.equal(fromConfig.format, "slack");
  assert.equal(fromConfig.url, "https://hooks.slack.com/…");
  assert.ok(!list.text.includes("whsec_") && !list.text.includes("CONFIGSECRET") && !list.text.includes("QUERYSECRET"), list.text);
  const one = await w.api(`/subscriptions/${created.id}`);
  assert.equal(one.body.secret, undefined);
  assert.deepEqual(one.body.filter, { providers: ["cloudflare"] });
  const del = await w.api(`/subscriptions/${fromConfig.id}`, { method: "DELETE" });
  assert.equal(del.status, 409);
  assert.equal((await w.api("/subscriptions/sub_nope", { method: "DELETE" })).status, 404);
  assert.equal((await w.api("/subscriptions/..%2F..%2Fx")).status, 404);
  const health = await w.call("/healthz").then((r) => r.json());
  assert.equal(health.alerts.configured_subscribers, 1);
  assert.equal(health.alerts.retry_schedule, "0s, 300ms, 300ms, 300ms");
  // Nothing secret in the logs either.
  const logs = w.logs.join("");
  for (const s of ["CONFIGSECRET", "QUERYSECRET", created.secret, ...STREAM_KEY_SENTINELS]) assert.ok(!logs.includes(s), s);
});

test("state-change subscriptions work for other providers too (a Gcore stream going offline)", async () => {
  const { w, rx } = await setup();
  await subscribe(w, { url: rx.url, filter: { providers: ["gcore"], states: ["disconnected"] } });
  assert.equal((await send(w, gcore(fixture("gcore", "stream-started.json")))).status, 200);
  const r = await send(w, gcore(fixture("gcore", "stream-paused.json")));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.alert_queued, true);
  await eventually(() => rx.hits.length === 1);
  await sleep(300);
  assert.equal(rx.hits.length, 1);
  assert.equal(rx.json(0).type, "stream.disconnected");
  assert.equal(rx.json(0).data.provider, "gcore");
});
