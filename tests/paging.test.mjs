// Incident notifications to the destinations on-call teams are paged through, end to end on the
// real built Wasm: PagerDuty (Events API v2), incident.io (an HTTP alert source), Microsoft Teams
// (a Workflows webhook) and Telegram (a bot's sendMessage), each a local stand-in
// (tests/stand-ins/) that checks every request against the service's documented shape and
// limits and answers as the service does; each destination's 400 / 429 / 5xx; credentials that
// never show; bad subscriber bodies; a storm grouped for pagers and summarised for chats.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import {
  startWorker, send, cloudflare, cfErrored, cfConnected, cfDisconnected, eventually, sleep, FAST_ALERTS, runCleanups,
} from "./helpers.mjs";
import { startReceiver } from "./receiver.mjs";
import { startPagerDuty, pagerdutyProblems } from "./stand-ins/pagerduty.mjs";
import { startIncidentIo, incidentioProblems } from "./stand-ins/incidentio.mjs";
import { startTeams, teamsProblems } from "./stand-ins/teams.mjs";
import { startTelegram, telegramProblems, parseTelegramHtml } from "./stand-ins/telegram.mjs";
import { startSlack } from "./stand-ins/slack.mjs";

const cleanups = [];
afterEach(async () => {
  await runCleanups(cleanups);
});

/** Credentials as the services issue them (a PagerDuty integration key has 32 characters). */
const ROUTING_KEY = "R0UTINGKEYpaging0123456789abcdef";
const IO_TOKEN = "inc_io_TOKEN_paging_5f7e9a1c3b";
const BOT_TOKEN = "123456:SECRET_TOKEN_paging_AAbbCC";
const CHAT_ID = "-100123";
const TEAMS_SIG = "TEAMSSIGpaging0123456789abcdefgh";
const CREDENTIALS = [ROUTING_KEY, IO_TOKEN, BOT_TOKEN, "SECRET_TOKEN", TEAMS_SIG, "SLACKHOOKSECRET"];

const INPUT = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
/** Another Cloudflare live input id (32 hex digits) for each `n`. */
const input = (n) => `${INPUT.slice(0, 28)}${n.toString(16).padStart(4, "0")}`;
const stream = (id) => `cloudflare:live_input:${id}`;

async function setup(vars = {}) {
  const w = await startWorker({ vars: { ...FAST_ALERTS, INCIDENT_STABLE_AFTER: "1", ...vars } });
  cleanups.push(() => w.dispose());
  return w;
}

/** A stand-in (or receiver), closed after the spec. */
async function stand(started) {
  const s = await started;
  cleanups.push(() => s.close());
  return s;
}

async function subscribe(w, body) {
  const r = await w.api("/subscriptions", { method: "POST", body });
  assert.equal(r.status, 201, r.text);
  return r;
}

async function webhook(w, body) {
  const r = await send(w, cloudflare(body));
  assert.equal(r.status, 200, r.text);
}

/** Seconds from now, as RFC 3339 (a stream's provider times must move forward). */
const at = (s) => new Date(Date.now() + s * 1000).toISOString();

/** The open incident of a stream, once listed. */
async function openIncident(w, id) {
  const found = await eventually(async () => (await w.api(`/incidents?state=open&stream=${stream(id)}`)).body.incidents[0]);
  assert.ok(found, `an incident opened for ${id}`);
  return found;
}

async function detail(w, id) {
  const r = await w.api(`/incidents/${id}`);
  assert.equal(r.status, 200, r.text);
  return r;
}

/** Polls until `n` requests reached `s`, then fails with what did if they did not. */
async function requests(s, n, ms = 5000) {
  await eventually(() => s.requests.length >= n, ms);
  assert.equal(s.requests.length, n, JSON.stringify(s.requests.map((r) => r.json), null, 1));
  return s.requests;
}

/** No credential in any of `texts` nor in any line the worker logged. */
function assertNowhere(w, texts, secrets = CREDENTIALS) {
  const places = { ...texts, logs: w.logs.join("") };
  for (const [where, text] of Object.entries(places)) {
    for (const s of secrets) assert.ok(!text.includes(s), `${where} shows ${s}: ${text.slice(0, 400)}`);
  }
}

/** The texts a credential must never appear in: the listing, one subscriber, an incident. */
async function publicTexts(w, subId, incidentId) {
  return {
    listing: (await w.api("/subscriptions")).text,
    subscriber: (await w.api(`/subscriptions/${subId}`)).text,
    incident: (await detail(w, incidentId)).text,
    incidents: (await w.api("/incidents")).text,
  };
}

test("the stand-ins refuse what the services refuse (so an empty list of problems means something)", async () => {
  const trigger = {
    routing_key: ROUTING_KEY, event_action: "trigger", dedup_key: "inc_1",
    payload: { summary: "s", source: "cloudflare:live_input:x", severity: "critical", timestamp: "2026-01-01T00:00:00.000Z" },
  };
  assert.deepEqual(pagerdutyProblems(trigger, ROUTING_KEY), []);
  const pd = [
    { ...trigger, routing_key: "short" },
    { ...trigger, event_action: "escalate" },
    { ...trigger, dedup_key: "k".repeat(256) },
    { ...trigger, dedupe_key: "inc_1" },
    { routing_key: ROUTING_KEY, event_action: "resolve" },
    { ...trigger, payload: undefined },
    { ...trigger, payload: { ...trigger.payload, summary: "s".repeat(1025) } },
    { ...trigger, payload: { ...trigger.payload, severity: "fatal" } },
    { ...trigger, payload: { ...trigger.payload, source: "" } },
    { ...trigger, payload: { ...trigger.payload, timestamp: "yesterday" } },
    { ...trigger, payload: { ...trigger.payload, custom_details: "text" } },
    { ...trigger, client_url: "not a url" },
  ];
  for (const e of pd) assert.notDeepEqual(pagerdutyProblems(e, ROUTING_KEY), [], JSON.stringify(e));

  const auth = { authorization: `Bearer ${IO_TOKEN}` };
  const event = { title: "t", status: "firing", deduplication_key: "inc_1", metadata: {} };
  assert.deepEqual(incidentioProblems(event, auth, IO_TOKEN), []);
  assert.notDeepEqual(incidentioProblems(event, {}, IO_TOKEN), []);
  assert.notDeepEqual(incidentioProblems(event, { authorization: IO_TOKEN }, IO_TOKEN), []);
  for (const e of [{ ...event, title: "" }, { ...event, status: "acknowledged" }, { ...event, metadata: [] }, { ...event, source_url: "x" }, { ...event, severity: "high" }]) {
    assert.notDeepEqual(incidentioProblems(e, auth, IO_TOKEN), [], JSON.stringify(e));
  }

  const card = (content) => ({ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content }] });
  const good = { type: "AdaptiveCard", version: "1.4", body: [{ type: "TextBlock", text: "t", color: "Attention" }, { type: "FactSet", facts: [{ title: "a", value: "b" }] }] };
  assert.deepEqual(teamsProblems(card(good)), []);
  for (const m of [
    { ...card(good), type: "MessageCard" },
    { type: "message", attachments: [] },
    { type: "message", attachments: [{ contentType: "application/json", content: good }] },
    card({ ...good, version: "1.6" }),
    card({ ...good, body: [{ type: "TextBlock", text: "t", color: "Red" }] }),
    card({ ...good, body: [{ type: "TextBlock" }] }),
    card({ ...good, body: [{ type: "FactSet", facts: [{ name: "a", value: "b" }] }] }),
    card({ ...good, body: [{ type: "FactSet", facts: [{ title: "a", value: 1 }] }] }),
    card({ ...good, body: [{ type: "Markdown", text: "x" }] }),
    card({ ...good, actions: [{ type: "Action.OpenUrl", title: "x" }] }),
  ]) assert.notDeepEqual(teamsProblems(m), [], JSON.stringify(m));

  const msg = { chat_id: CHAT_ID, text: "<b>t</b> &lt;x&gt; &amp; &quot;", parse_mode: "HTML", link_preview_options: { is_disabled: true } };
  assert.deepEqual(telegramProblems(msg, CHAT_ID), []);
  assert.equal(parseTelegramHtml(msg.text).text, 't <x> & "');
  for (const text of ["<script>x</script>", "a < b", "a > b", "a & b", "&nbsp;", "<b>open", "<b><i>x</b></i>", "<a>x</a>", '<b class="x">x</b>', "<code><b>x</b></code>", "", "x".repeat(4097)]) {
    assert.notDeepEqual(telegramProblems({ ...msg, text }, CHAT_ID), [], text.slice(0, 40));
  }
  assert.deepEqual(telegramProblems({ ...msg, text: "é".repeat(4096) }, CHAT_ID), []);
  for (const m of [{ ...msg, chat_id: "-1" }, { ...msg, parse_mode: "Markdown" }, { ...msg, link_preview_options: { disabled: true } }, { ...msg, disable_web_page_preview: true }]) {
    assert.notDeepEqual(telegramProblems(m, CHAT_ID), [], JSON.stringify(m));
  }

  // Over the wire: the wrong path, method or content type is a problem, and the answer is the
  // service's own refusal.
  const s = await stand(startPagerDuty({ routingKey: ROUTING_KEY }));
  const post = (path, init) => fetch(`${s.origin}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(trigger), ...init });
  assert.equal((await post("/v2/enqueue")).status, 202);
  assert.deepEqual(s.problems, []);
  for (const [path, init] of [["/v1/enqueue"], ["/v2/enqueue", { method: "PUT" }], ["/v2/enqueue", { headers: { "Content-Type": "text/plain" } }], ["/v2/enqueue", { body: "{" }]]) {
    const before = s.problems.length;
    const r = await post(path, init);
    assert.equal(r.status, 400, `${path} ${JSON.stringify(init)}`);
    assert.equal((await r.json()).status, "invalid event");
    assert.equal(s.problems.length, before + 1, `${path} ${JSON.stringify(init)}`);
  }
});

test("PagerDuty: an error triggers one page keyed by the incident; acknowledging and recovery acknowledge and resolve it; the routing key shows nowhere", async () => {
  const w = await setup({ PUBLIC_URL: "https://livehook.example.com/" });
  const pd = await stand(startPagerDuty({ routingKey: ROUTING_KEY }));
  const created = await subscribe(w, { format: "pagerduty", routing_key: ROUTING_KEY, url: pd.url });
  assert.equal(created.body.format, "pagerduty");
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfErrored({ at: at(1) }));
  const inc = await openIncident(w, INPUT);

  const [trigger] = await requests(pd, 1);
  const e = trigger.json;
  assert.equal(e.event_action, "trigger");
  assert.equal(e.dedup_key, inc.id);
  assert.equal(e.routing_key, ROUTING_KEY);
  const p = e.payload;
  assert.ok(p.summary.length <= 1024);
  for (const word of ["Cloudflare", INPUT, "errored", "ERR_GOP_OUT_OF_RANGE"]) assert.ok(p.summary.includes(word), `summary ${p.summary} names ${word}`);
  assert.deepEqual(
    [p.source, p.severity, p.timestamp, p.component, p.group, p.class],
    [stream(INPUT), "critical", inc.opened_at, "cloudflare", "live_input", "errored"],
  );
  assert.equal(p.custom_details.code, "ERR_GOP_OUT_OF_RANGE");
  assert.equal(p.custom_details.message, "Keyframe interval too long");
  assert.ok(p.custom_details.hint.length > 0);
  assert.equal(p.custom_details.board, `https://livehook.example.com/#stream=${stream(INPUT)}`);
  assert.equal(e.client, "livehook");
  assert.equal(e.client_url, "https://livehook.example.com");

  const ack = await w.api(`/incidents/${inc.id}/acknowledge`, { method: "POST" });
  assert.equal(ack.status, 200, ack.text);
  await requests(pd, 2);
  assert.deepEqual(pd.requests[1].json, { routing_key: ROUTING_KEY, event_action: "acknowledge", dedup_key: inc.id });

  await webhook(w, cfConnected({ at: at(2) }));
  await requests(pd, 3, 6000);
  assert.deepEqual(pd.requests[2].json, { routing_key: ROUTING_KEY, event_action: "resolve", dedup_key: inc.id });
  await sleep(500);
  assert.equal(pd.requests.length, 3, "one page, one acknowledgement, one resolution");
  assert.deepEqual(pd.problems, []);

  const d = await eventually(async () => {
    const r = await detail(w, inc.id);
    return r.body.notifications.length === 3 && r.body.notifications.every((n) => n.status === "delivered") && r;
  });
  assert.ok(d, "the three notifications are delivered");
  assert.deepEqual(d.body.notifications.map((n) => [n.event, n.format, n.subscriber_id, n.attempts.map((a) => a.status)]), [
    ["opened", "pagerduty", created.body.id, [202]],
    ["acknowledged", "pagerduty", created.body.id, [202]],
    ["resolved", "pagerduty", created.body.id, [202]],
  ]);

  // Refused bodies that carry the key do not echo it.
  const misplaced = await w.api("/subscriptions", { method: "POST", body: { format: "slack", url: "https://hooks.slack.com/services/T/B/X", routing_key: ROUTING_KEY } });
  const unusable = await w.api("/subscriptions", { method: "POST", body: { format: "pagerduty", routing_key: `${ROUTING_KEY}\n` } });
  assert.deepEqual([misplaced.status, unusable.status], [400, 400]);
  const listed = (await w.api("/subscriptions")).body.subscriptions;
  assert.deepEqual(listed.map((s) => [s.format, s.url]), [["pagerduty", pd.url]]);
  assertNowhere(w, { created: created.text, misplaced: misplaced.text, unusable: unusable.text, ...(await publicTexts(w, created.body.id, inc.id)) });
});

test("PagerDuty: an offline incident pages with severity error and no code, and only subscribers whose causes include offline", async () => {
  const w = await setup({ INCIDENT_OFFLINE_AFTER: "1" });
  const asked = await stand(startPagerDuty({ routingKey: ROUTING_KEY }));
  const errorsOnly = await stand(startPagerDuty({ routingKey: ROUTING_KEY }));
  await subscribe(w, { format: "pagerduty", routing_key: ROUTING_KEY, url: asked.url, filter: { causes: ["errored", "offline"] } });
  await subscribe(w, { format: "pagerduty", routing_key: ROUTING_KEY, url: errorsOnly.url });
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfDisconnected({ at: at(1) }));
  const inc = await eventually(async () => (await w.api("/incidents?cause=offline")).body.incidents[0], 6000);
  assert.ok(inc, "an offline incident opened");
  const [page] = await requests(asked, 1);
  const p = page.json.payload;
  assert.equal(page.json.dedup_key, inc.id);
  assert.deepEqual([p.severity, p.class, p.source], ["error", "offline", stream(INPUT)]);
  assert.equal(p.summary, `Cloudflare Stream live input ${INPUT} offline`);
  assert.equal(p.custom_details.code, undefined, "no error, no code");
  await webhook(w, cfConnected({ at: at(2) }));
  await requests(asked, 2, 6000);
  assert.equal(asked.requests[1].json.event_action, "resolve");
  assert.deepEqual(errorsOnly.requests, [], "a subscriber that did not ask for offline incidents is not paged");
  assert.deepEqual(asked.problems, []);
});

test("incident.io: firing with the bearer token on open, resolved with the same deduplication_key on recovery, nothing on acknowledge; the token shows nowhere", async () => {
  const w = await setup();
  const io = await stand(startIncidentIo({ token: IO_TOKEN }));
  const created = await subscribe(w, { format: "incidentio", url: io.url, token: IO_TOKEN });
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfErrored({ at: at(1), code: "ERR_STORAGE_QUOTA_EXHAUSTED", message: "Storage quota exhausted" }));
  const inc = await openIncident(w, INPUT);

  const [firing] = await requests(io, 1);
  assert.equal(firing.headers.authorization, `Bearer ${IO_TOKEN}`);
  const e = firing.json;
  assert.equal(e.status, "firing");
  assert.equal(e.deduplication_key, inc.id);
  for (const word of ["Cloudflare", INPUT, "ERR_STORAGE_QUOTA_EXHAUSTED"]) assert.ok(e.title.includes(word), `title ${e.title} names ${word}`);
  for (const line of ["Code: ERR_STORAGE_QUOTA_EXHAUSTED", "Message: Storage quota exhausted", "Cause: errored"]) {
    assert.ok(e.description.split("\n").includes(line), `description has ${line}: ${e.description}`);
  }
  assert.deepEqual(e.metadata, { provider: "cloudflare", stream_id: INPUT, kind: "live_input", cause: "errored", code: "ERR_STORAGE_QUOTA_EXHAUSTED" });
  assert.equal(e.source_url, undefined, "no link without PUBLIC_URL");

  const ack = await w.api(`/incidents/${inc.id}/acknowledge`, { method: "POST" });
  assert.equal(ack.status, 200, ack.text);
  await sleep(800);
  assert.equal(io.requests.length, 1, "incident.io has no acknowledged status: nothing is sent");

  await webhook(w, cfConnected({ at: at(2) }));
  const [, resolved] = await requests(io, 2, 6000);
  assert.equal(resolved.headers.authorization, `Bearer ${IO_TOKEN}`);
  assert.equal(resolved.json.status, "resolved");
  assert.equal(resolved.json.deduplication_key, inc.id);
  assert.deepEqual(io.problems, []);

  const d = await eventually(async () => {
    const r = await detail(w, inc.id);
    return r.body.notifications.every((n) => n.status === "delivered") && r;
  });
  assert.deepEqual(d.body.notifications.map((n) => [n.event, n.format, n.attempts.map((a) => a.status)]), [
    ["opened", "incidentio", [202]],
    ["resolved", "incidentio", [202]],
  ]);
  assertNowhere(w, { created: created.text, ...(await publicTexts(w, created.body.id, inc.id)) });
});

test("Teams: one Adaptive Card 1.4 on open and one on resolve, with the facts and a provider's markup as plain text; the sig= shows nowhere", async () => {
  const w = await setup();
  const teams = await stand(startTeams({ sig: TEAMS_SIG }));
  const created = await subscribe(w, { format: "teams", url: teams.url });
  const message = 'Keyframe interval <b>too long</b> & "audio" missing';
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfErrored({ at: at(1), message }));
  const inc = await openIncident(w, INPUT);

  await requests(teams, 1);
  const opened = teams.cards()[0];
  const [title, facts] = opened.body;
  assert.equal(title.type, "TextBlock");
  assert.ok(title.text.startsWith("🔴 ") && title.text.includes(INPUT) && title.text.endsWith("errored"), title.text);
  assert.equal(title.color, "Attention");
  const fact = (card, name) => card.body[1].facts.find((f) => f.title === name)?.value;
  for (const name of ["Provider", "Stream", "Cause", "State", "Code", "Message", "Hint", "Opened"]) assert.ok(fact(opened, name), `fact ${name}: ${JSON.stringify(facts)}`);
  assert.equal(fact(opened, "Code"), "ERR_GOP_OUT_OF_RANGE");
  assert.equal(fact(opened, "State"), "open");
  // Adaptive Cards do not render HTML: the provider's text arrives as it was sent, escaped once
  // by JSON and nowhere else.
  assert.equal(fact(opened, "Message"), message);
  assert.ok(teams.requests[0].body.includes(JSON.stringify(message)), "the JSON carries the text verbatim");
  assert.ok(!teams.requests[0].body.includes("&lt;") && !teams.requests[0].body.includes("&amp;"), "not HTML-escaped");

  const ack = await w.api(`/incidents/${inc.id}/acknowledge`, { method: "POST" });
  assert.equal(ack.status, 200, ack.text);
  await webhook(w, cfConnected({ at: at(2) }));
  await requests(teams, 2, 6000);
  const closed = teams.cards()[1];
  assert.match(closed.body[0].text, /^🟢 .* resolved after \d+ s$/);
  assert.equal(closed.body[0].color, "Good");
  assert.equal(fact(closed, "State"), "resolved");
  assert.equal(fact(closed, "Resolved by"), "recovery (back on air)");
  await sleep(300);
  assert.equal(teams.requests.length, 2, "no message for the acknowledgement");
  assert.deepEqual(teams.problems, []);

  const listed = (await w.api("/subscriptions")).body.subscriptions[0];
  assert.equal(listed.url, `${teams.origin}/…`);
  assertNowhere(w, { created: created.text, ...(await publicTexts(w, created.body.id, inc.id)) }, [TEAMS_SIG, "sig="]);
});

test("Telegram: HTML with every provider string escaped, within 4096 characters, to the configured chat; a 429's retry_after is waited out; the bot token shows nowhere", async () => {
  const w = await setup();
  const tg = await stand(startTelegram({ token: BOT_TOKEN, chatId: CHAT_ID, respond: (_hit, n) => (n === 1 ? { status: 429, retryAfter: 2 } : undefined) }));
  const created = await subscribe(w, { format: "telegram", url: `${tg.origin}/bot${BOT_TOKEN}/sendMessage`, chat_id: CHAT_ID });
  assert.equal(created.body.chat_id, CHAT_ID);
  const message = 'Bad <script>alert(1)</script> & "quotes" > here';
  await webhook(w, cfConnected({ at: at(0) }));
  await webhook(w, cfErrored({ at: at(1), message }));
  const inc = await openIncident(w, INPUT);

  const [first, second] = await requests(tg, 2, 8000);
  assert.equal(first.json.text, second.json.text, "every attempt sends the same message");
  assert.ok(second.at - first.at >= 2000, `the second attempt came ${second.at - first.at} ms after a 429 saying retry after 2 s`);
  const m = second.json;
  assert.equal(m.chat_id, CHAT_ID);
  assert.equal(m.parse_mode, "HTML");
  assert.deepEqual(m.link_preview_options, { is_disabled: true });
  assert.ok(m.text.includes("&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\" &gt; here"), m.text);
  const read = parseTelegramHtml(m.text).text;
  assert.ok(read.includes(message), `the reader sees the message as sent: ${read}`);
  assert.ok(read.startsWith("🔴 Cloudflare") && read.includes(INPUT) && read.includes("ERR_GOP_OUT_OF_RANGE"), read);
  const d = await eventually(async () => {
    const r = await detail(w, inc.id);
    return r.body.notifications[0]?.status === "delivered" && r;
  });
  assert.deepEqual(d.body.notifications[0].attempts.map((a) => a.status), [429, 200]);

  // A message far beyond the limit is cut to fit, still valid HTML.
  const other = input(7);
  await webhook(w, cfErrored({ input: other, at: at(1), message: "<&>".repeat(3000) }));
  await openIncident(w, other);
  await requests(tg, 3);
  const long = tg.requests[2].json.text;
  assert.ok(parseTelegramHtml(long).text.length <= 4096);
  assert.ok(long.includes("&lt;&amp;&gt;"), long.slice(0, 300));

  await webhook(w, cfConnected({ at: at(2) }));
  await requests(tg, 4, 6000);
  assert.match(parseTelegramHtml(tg.requests[3].json.text).text, /^🟢 .* resolved after \d+ s\n/);
  assert.deepEqual(tg.problems, []);

  const listed = (await w.api("/subscriptions")).body.subscriptions[0];
  assert.equal(listed.url, `${tg.origin}/bot…/sendMessage`);
  assertNowhere(w, { created: created.text, ...(await publicTexts(w, created.body.id, inc.id)) }, [BOT_TOKEN, "SECRET_TOKEN"]);
});

test("each destination's answers: 400 is dead after one attempt, 429 and 5xx are retried and delivered", async () => {
  const w = await setup();
  const [rejected, throttled, failing] = [input(1), input(2), input(3)];
  const scripts = {
    [rejected]: () => 400,
    [throttled]: (_hit, n) => (n === 1 ? { status: 429, retryAfter: 1 } : undefined),
    [failing]: (_hit, n) => (n === 1 ? 503 : undefined),
  };
  const destinations = {
    pagerduty: {
      start: (respond) => startPagerDuty({ routingKey: ROUTING_KEY, respond }),
      body: (s) => ({ format: "pagerduty", routing_key: ROUTING_KEY, url: s.url }),
      ok: 202,
    },
    incidentio: {
      start: (respond) => startIncidentIo({ token: IO_TOKEN, respond }),
      body: (s) => ({ format: "incidentio", url: s.url, token: IO_TOKEN }),
      ok: 202,
    },
    teams: {
      start: (respond) => startTeams({ sig: TEAMS_SIG, respond }),
      body: (s) => ({ format: "teams", url: s.url }),
      ok: 202,
    },
    telegram: {
      start: (respond) => startTelegram({ token: BOT_TOKEN, chatId: CHAT_ID, respond }),
      body: (s) => ({ format: "telegram", url: s.url, chat_id: CHAT_ID }),
      ok: 200,
    },
  };
  const cases = [];
  for (const [format, dest] of Object.entries(destinations)) {
    for (const [id, script] of Object.entries(scripts)) {
      const s = await stand(dest.start(script));
      const sub = await subscribe(w, { ...dest.body(s), filter: { stream_ids: [id] } });
      cases.push({ format, id, s, sub: sub.body.id, ok: dest.ok });
    }
  }
  await Promise.all([rejected, throttled, failing].map((id) => webhook(w, cfErrored({ input: id, at: at(1) }))));
  const incidents = Object.fromEntries(await Promise.all([rejected, throttled, failing].map(async (id) => [id, (await openIncident(w, id)).id])));

  const expected = { [rejected]: "dead", [throttled]: "delivered", [failing]: "delivered" };
  const outcome = async () => {
    const out = [];
    for (const c of cases) {
      const n = (await detail(w, incidents[c.id])).body.notifications.find((x) => x.subscriber_id === c.sub);
      out.push([c.format, c.id, n?.status, n?.attempts.map((a) => a.status)]);
    }
    return out;
  };
  const settled = await eventually(async () => {
    const out = await outcome();
    return out.every(([, id, status]) => status === expected[id]) && out;
  }, 8000);
  assert.ok(settled, JSON.stringify(await outcome()));
  // Past the whole retry schedule (0, 300 ms, 300 ms, 300 ms): a 400 was never tried again.
  await sleep(1200);
  const want = cases.map((c) => [c.format, c.id, expected[c.id], { [rejected]: [400], [throttled]: [429, c.ok], [failing]: [503, c.ok] }[c.id]]);
  assert.deepEqual(await outcome(), want);
  for (const c of cases) {
    assert.equal(c.s.requests.length, c.id === rejected ? 1 : 2, `${c.format} ${c.id}`);
    assert.deepEqual(c.s.problems, [], c.format);
  }
  const dead = (await detail(w, incidents[rejected])).body.notifications;
  for (const n of dead) assert.match(n.dead_reason, /400/);
  assertNowhere(w, { incidents: (await w.api("/incidents")).text, listing: (await w.api("/subscriptions")).text });
});

test("bad subscriber bodies: 400 naming the field, nothing stored, no credential echoed", async () => {
  const w = await setup();
  const before = (await w.api("/subscriptions")).text;
  const pd = "http://127.0.0.1:9/v2/enqueue";
  const io = "http://127.0.0.1:9/v2/alert_events/http/01HZX3K9Q2W4E6R8T0Y1U3I5O7";
  const tg = `http://127.0.0.1:9/bot${BOT_TOKEN}/sendMessage`;
  const teams = `http://127.0.0.1:9/workflows/x/triggers/manual/paths/invoke?sig=${TEAMS_SIG}`;
  const slack = "http://127.0.0.1:9/services/T0PAGING/B0PAGING/SLACKHOOKSECRET";
  const bad = [
    [{ format: "pagerduty" }, "routing_key"],
    [{ format: "pagerduty", url: pd }, "routing_key"],
    [{ format: "pagerduty", url: pd, routing_key: "" }, "routing_key"],
    [{ format: "pagerduty", url: pd, routing_key: `${ROUTING_KEY} ${ROUTING_KEY}` }, "routing_key"],
    [{ format: "pagerduty", url: pd, routing_key: 42 }, "routing_key"],
    [{ format: "incidentio", url: io }, "token"],
    [{ format: "incidentio", url: io, token: `${IO_TOKEN}\r\nX-Injected: 1` }, "token"],
    [{ format: "incidentio", token: IO_TOKEN }, "url"],
    [{ format: "incidentio", url: `ftp://127.0.0.1/${IO_TOKEN}`, token: IO_TOKEN }, "url"],
    [{ format: "telegram", url: tg }, "chat_id"],
    [{ format: "telegram", url: tg, chat_id: "not a chat" }, "chat_id"],
    [{ format: "telegram", url: tg, chat_id: { id: CHAT_ID } }, "chat_id"],
    [{ format: "telegram", url: `http://127.0.0.1:9/${BOT_TOKEN}/sendMessage`, chat_id: CHAT_ID }, "url"],
    [{ format: "telegram", url: `${tg}?x=1`, chat_id: CHAT_ID }, "url"],
    [{ format: "teams" }, "url"],
    [{ format: "Teams", url: teams }, "format"],
    [{ format: "opsgenie", url: pd, routing_key: ROUTING_KEY }, "format"],
    [{ format: "pagerduty", url: pd, routing_key: ROUTING_KEY, filter: { causes: ["down"] } }, "causes"],
    [{ format: "pagerduty", url: pd, routing_key: ROUTING_KEY, filter: { causes: "errored" } }, "causes"],
    [{ format: "slack", url: slack, filter: { causes: ["errored", "melting"] } }, "causes"],
    [{ format: "pagerduty", url: pd, routing_key: ROUTING_KEY, filter: { states: ["errored"] } }, "filter.states"],
    [{ format: "incidentio", url: io, token: IO_TOKEN, filter: { warnings: true } }, "filter.warnings"],
    [{ format: "slack", url: slack, routing_key: ROUTING_KEY }, "routing_key"],
    [{ format: "teams", url: teams, token: IO_TOKEN }, "token"],
    [{ url: slack, token: IO_TOKEN }, "token"],
    [{ format: "pagerduty", url: pd, routing_key: ROUTING_KEY, token: IO_TOKEN }, "token"],
    [{ format: "incidentio", url: io, token: IO_TOKEN, routing_key: ROUTING_KEY }, "routing_key"],
    [{ format: "teams", url: teams, chat_id: CHAT_ID }, "chat_id"],
    [{ format: "pagerduty", url: pd, routing_key: ROUTING_KEY, chat_id: CHAT_ID }, "chat_id"],
  ];
  const wrong = [];
  for (const [body, field] of bad) {
    const r = await w.api("/subscriptions", { method: "POST", body });
    const ok = r.status === 400 && r.body.error === "invalid_subscriber" && typeof r.body.message === "string" && r.body.message.includes(field);
    if (!ok) wrong.push(`${JSON.stringify(body)} → ${r.status} ${r.text} (should name ${field})`);
    for (const s of CREDENTIALS) if (r.text.includes(s)) wrong.push(`${JSON.stringify(body)} → echoes ${s}: ${r.text}`);
  }
  assert.deepEqual(wrong, []);
  assert.equal((await w.api("/subscriptions")).text, before, "nothing stored");
  assertNowhere(w, {});
});

test("a storm: pagers (PagerDuty, incident.io) get the first incidents and one grouped alert, chats (Slack, Telegram) one summary per window, webhooks every incident; all resolve", async () => {
  const w = await setup({ ALERT_STORM_THRESHOLD: "2", ALERT_STORM_WINDOW: "2" });
  const pd = await stand(startPagerDuty({ routingKey: ROUTING_KEY }));
  const slack = await stand(startSlack());
  const io = await stand(startIncidentIo({ token: IO_TOKEN }));
  const tg = await stand(startTelegram({ token: BOT_TOKEN, chatId: CHAT_ID }));
  const hook = await stand(startReceiver());
  await subscribe(w, { format: "pagerduty", routing_key: ROUTING_KEY, url: pd.url });
  await subscribe(w, { format: "incidentio", url: io.url, token: IO_TOKEN });
  await subscribe(w, { format: "slack", url: slack.url });
  await subscribe(w, { format: "telegram", url: tg.url, chat_id: CHAT_ID });
  await subscribe(w, { url: hook.url });
  const ids = [1, 2, 3, 4, 5, 6].map((n) => input(0x100 + n));
  await Promise.all(ids.map((id) => webhook(w, cfErrored({ input: id, at: at(1) }))));
  const open = await eventually(async () => {
    const list = (await w.api("/incidents?state=open")).body.incidents;
    return list.length === 6 && list;
  });
  assert.ok(open, "every incident is recorded and listed");
  assert.deepEqual(open.map((i) => i.stream_id).sort(), [...ids].sort());
  const incidentIds = new Set(open.map((i) => i.id));

  const events = (rx, type) => rx.hits.filter((h) => h.body.startsWith(`{"type":"incident.${type}"`)).map((h) => JSON.parse(h.body));
  await eventually(() => events(hook, "opened").length >= 6);
  assert.equal(events(hook, "opened").length, 6, "webhooks get every incident");

  // PagerDuty: the first two on their own, the other four as one grouped page.
  const triggers = await requests(pd, 3);
  const alone = triggers.filter((r) => incidentIds.has(r.json.dedup_key));
  const grouped = triggers.filter((r) => /^inc_storm_[0-9a-f]+$/.test(r.json.dedup_key));
  assert.deepEqual([alone.length, grouped.length], [2, 1], JSON.stringify(triggers.map((r) => r.json.dedup_key)));
  assert.ok(triggers.every((r) => r.json.event_action === "trigger"));
  assert.ok(grouped[0].at - alone[0].at >= 1500, `the grouped page waits for the window's end (${grouped[0].at - alone[0].at} ms)`);
  const group = grouped[0].json;
  assert.equal(group.payload.class, "storm");
  assert.equal(group.payload.severity, "critical");
  assert.match(group.payload.summary, /Cloudflare Stream live inputs? down/);
  // incident.io: the same, keyed alike.
  const firing = (await requests(io, 3)).map((r) => r.json);
  assert.ok(firing.every((e) => e.status === "firing"));
  assert.deepEqual(new Set(firing.map((e) => e.deduplication_key)), new Set([...alone.map((r) => r.json.dedup_key), group.dedup_key]));
  assert.equal(firing.find((e) => e.deduplication_key === group.dedup_key).metadata.cause, "storm");

  // Slack: the first two at once, a summary of the other four when the window ends.
  const all = await requests(slack, 3, 5000);
  const first = all.slice(0, 2);
  assert.ok(first.every((r) => r.json.blocks[0].text.text.startsWith("🔴 ")));
  const summary = all[2];
  assert.match(summary.json.blocks[0].text.text, /4 more Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×4/);
  assert.ok(summary.at - first[0].at >= 1500, `the summary waits for the window's end (${summary.at - first[0].at} ms)`);
  // Telegram, a chat too: the same three messages.
  await requests(tg, 3);
  assert.match(parseTelegramHtml(tg.requests[2].json.text).text, /^🔴 4 more Cloudflare Stream live inputs down: ERR_GOP_OUT_OF_RANGE ×4\n/);

  // Recovery of all six.
  await Promise.all(ids.map((id) => webhook(w, cfConnected({ input: id, at: at(3) }))));
  await eventually(() => events(hook, "resolved").length >= 6, 8000);
  assert.equal(events(hook, "resolved").length, 6);
  const resolves = (await requests(pd, 6, 6000)).slice(3).map((r) => r.json);
  assert.ok(resolves.every((e) => e.event_action === "resolve"), JSON.stringify(resolves));
  assert.deepEqual(new Set(resolves.map((e) => e.dedup_key)), new Set([...alone.map((r) => r.json.dedup_key), group.dedup_key]));
  const last = (await requests(slack, 6, 6000)).slice(3).map((r) => r.json.blocks[0].text.text);
  assert.equal(last.filter((t) => /^🟢 .* resolved after \d+ s$/.test(t)).length, 2, JSON.stringify(last));
  assert.equal(last.filter((t) => t === "🟢 All 4 Cloudflare Stream live inputs of the storm are back").length, 1, JSON.stringify(last));
  const ioResolved = (await requests(io, 6, 6000)).slice(3).map((r) => r.json);
  assert.ok(ioResolved.every((e) => e.status === "resolved"), JSON.stringify(ioResolved));
  assert.deepEqual(new Set(ioResolved.map((e) => e.deduplication_key)), new Set(resolves.map((e) => e.dedup_key)));
  const tgLast = (await requests(tg, 6, 6000)).slice(3).map((r) => parseTelegramHtml(r.json.text).text.split("\n")[0]);
  assert.equal(tgLast.filter((t) => t === "🟢 All 4 Cloudflare Stream live inputs of the storm are back").length, 1, JSON.stringify(tgLast));
  await sleep(500);
  assert.deepEqual([pd.requests.length, io.requests.length, slack.requests.length, tg.requests.length], [6, 6, 6, 6], "nothing more");
  assert.deepEqual([...pd.problems, ...io.problems, ...slack.problems, ...tg.problems], []);
  assert.equal((await w.api("/incidents?state=resolved")).body.incidents.length, 6);
});

// The grouped page waits for the storm's first window to end, so it counts every incident
// grouped in it (those paged one by one already told on-call something is wrong).
test("a storm's grouped page names every incident it groups", async () => {
  const w = await setup({ ALERT_STORM_THRESHOLD: "2", ALERT_STORM_WINDOW: "2" });
  const pd = await stand(startPagerDuty({ routingKey: ROUTING_KEY }));
  await subscribe(w, { format: "pagerduty", routing_key: ROUTING_KEY, url: pd.url });
  const ids = [1, 2, 3, 4, 5, 6].map((n) => input(0x200 + n));
  await Promise.all(ids.map((id) => webhook(w, cfErrored({ input: id, at: at(1) }))));
  await sleep(3500); // past the window
  const grouped = pd.requests.filter((r) => r.json.dedup_key.startsWith("inc_storm_"));
  assert.equal(grouped.length, 1, "one grouped page");
  assert.equal(grouped[0].json.payload.custom_details.count, 4, grouped[0].json.payload.summary);
  assert.match(grouped[0].json.payload.summary, /^4 more Cloudflare Stream live inputs down/);
});
