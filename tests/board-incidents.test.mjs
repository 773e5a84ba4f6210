// The board's incidents in a real headless Chromium (scripts/chromium.mjs), driven by
// playwright-core against the real built worker and board under miniflare, with a one-second
// stable wait and offline grace: the calm line when nothing is broken, an errored webhook's
// incident at the top without a reload, its running duration, Acknowledge and Resolve (and what
// the API says after), a refused call (409) explained, a recovering stream's incident leaving by
// itself, an acknowledgement made elsewhere shown live, each stream's incidents in its details,
// provider markup as text, the same list after a reload, the 375 px layout, no console errors.
// Screenshots: docs/board-incidents.png (1280 px), docs/board-incidents-narrow.png (375 px) and
// docs/board-incident-details.png (a stream's incidents in its details).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { openBoardPage } from "./board-page.mjs";
import {
  startWorker, send, cloudflare, ivs, fixture, cfErrored, cfConnected, cfDisconnected, sleep,
  SECRETS, FAST_ALERTS, runCleanups,
} from "./helpers.mjs";
import { chromiumPath } from "../scripts/chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cleanups = [];
let w, browser, page;
const problems = []; // console errors, page errors and failed responses

// Provider times: five minutes ago, one second later for every event sent (each stream's events
// move forward), so the running durations read minutes.
const base = Date.now() - 5 * 60_000;
let tick = 0;
const at = () => new Date(base + ++tick * 1000).toISOString();

const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
const ACKED = "a0000000000000000000000000000001"; // acknowledged, then resolved on the board
const REFUSED = "b0000000000000000000000000000002"; // resolved elsewhere while the board acknowledges
const RECOVERS = "c0000000000000000000000000000003"; // back on air: resolves by itself
const ELSEWHERE = "d0000000000000000000000000000004"; // acknowledged through the API
const OFFLINE = "e0000000000000000000000000000005"; // off air past the grace period
const CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"; // a warning, with a name
const key = (input) => `cloudflare:live_input:${input}`;

before(async () => {
  const executablePath = chromiumPath(); // first: without one, nothing else is started
  w = await startWorker({
    port: 0,
    vars: { ...FAST_ALERTS, INCIDENT_STABLE_AFTER: "1", INCIDENT_OFFLINE_AFTER: "1" },
  });
  cleanups.push(() => w.dispose());
  for (const input of [ACKED, REFUSED, RECOVERS, ELSEWHERE]) await webhook(cfConnected({ input, at: at() }));
  ({ browser, page } = await openBoardPage({ executablePath, cleanups, problems }));
});

after(() => runCleanups(cleanups));

async function webhook(body, sign = cloudflare) {
  const r = await send(w, sign(body));
  assert.equal(r.status, 200, r.text);
  return r.body;
}

const incidentRow = (input) => page.locator(`.incident[data-key="${key(input)}"]`);

/** The incident of a stream, from the API. */
async function incidentOf(input) {
  const r = await w.api(`/incidents?stream=${encodeURIComponent(key(input))}`);
  assert.equal(r.status, 200, r.text);
  return r.body.incidents[0];
}

/** `4 m 12 s` → 252. */
function seconds(text) {
  const m = /(?:(\d+) m )?(\d+) s/.exec(text);
  assert.ok(m, `a duration: ${text}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2]);
}

/** A screenshot of the whole page: the viewport grows to the page first. */
async function shoot(file) {
  const { width, height } = page.viewportSize();
  const full = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height: Math.max(height, full) });
  await sleep(300);
  mkdirSync(path.join(root, "docs"), { recursive: true });
  await page.screenshot({ path: path.join(root, file) });
  await page.setViewportSize({ width, height });
}

test("nothing broken: one calm line above the streams", async () => {
  await page.goto(String(w.url));
  await page.fill("#token", SECRETS.STATUS_API_TOKEN);
  await page.click("button[type=submit]");
  await page.locator("#incidents-empty").waitFor();
  assert.match(await page.locator("#incidents-empty").innerText(), /Nothing is broken/);
  assert.equal(await page.locator(".incident").count(), 0);
  await page.locator("#feed", { hasText: "live" }).waitFor();
  await sleep(2000); // the feed's catch-up read (CATCH_UP_MS) is done
});

test("an errored webhook's incident appears at the top without a reload", async () => {
  const marker = await page.evaluate(() => (window.__marker = Math.random()));
  const t0 = Date.now();
  await webhook(cfErrored({ input: ACKED, at: at(), message: XSS }));
  await incidentRow(ACKED).waitFor({ timeout: 5000 });
  console.log(`# incident on screen ${Date.now() - t0} ms after the errored webhook`);
  assert.equal(await page.evaluate(() => window.__marker), marker, "no reload happened");
  assert.equal(await page.locator("#incidents-empty").isHidden(), true);
  const text = await incidentRow(ACKED).innerText();
  for (const part of ["errored", ACKED, "cloudflare · live input", "ERR_GOP_OUT_OF_RANGE", "since"]) {
    assert.ok(text.includes(part), `${part} in ${text}`);
  }
  assert.match(text, /keyframe interval/i, "the hint");
  assert.match(text, /for (\d+ m )?\d+ s/, "how long");
  assert.equal(await incidentRow(ACKED).getAttribute("data-state"), "open");
  assert.match(await page.locator("#incidents-count").innerText(), /^1$/);
  // At the top: above the providers, the counts and the streams.
  const incidentsBox = await page.locator("#incidents").boundingBox();
  const streamsBox = await page.locator("#streams").boundingBox();
  const countsBox = await page.locator("#counts").boundingBox();
  assert.ok(incidentsBox.y < countsBox.y && countsBox.y < streamsBox.y);
});

test("provider markup in an incident is shown as text and never runs", async () => {
  assert.ok((await incidentRow(ACKED).innerText()).includes(XSS), "the message is shown as sent");
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator("#incidents img, #incidents script").count(), 0);
});

test("the duration runs, second by second", async () => {
  const duration = incidentRow(ACKED).locator(".duration");
  const first = seconds(await duration.innerText());
  await sleep(2500);
  const later = seconds(await duration.innerText());
  assert.ok(later - first >= 2 && later - first <= 4, `${first} s, then ${later} s`);
});

test("Acknowledge marks the incident; the API agrees", async () => {
  const ack = page.getByRole("button", { name: `Acknowledge the incident of ${ACKED}` });
  await ack.click();
  await page.locator(`.incident[data-key="${key(ACKED)}"][data-state="acknowledged"]`).waitFor({ timeout: 5000 });
  assert.equal(await incidentRow(ACKED).locator(".acked-tag").isVisible(), true);
  assert.equal(await ack.isHidden(), true, "nothing left to acknowledge");
  assert.match(await page.locator("#incidents-count").innerText(), /^1 · 1 acknowledged$/);
  assert.match(await page.locator("#incidents-status").innerText(), new RegExp(`Acknowledged the incident of ${ACKED}`));
  const inc = await incidentOf(ACKED);
  assert.equal(inc.state, "acknowledged");
  assert.ok(inc.acknowledged_at);
});

test("Resolve takes the incident off the list; the API says by hand", async () => {
  await page.getByRole("button", { name: `Resolve the incident of ${ACKED}` }).click();
  await incidentRow(ACKED).waitFor({ state: "detached", timeout: 5000 });
  await page.locator("#incidents-empty").waitFor();
  await page.locator("#incidents-status", { hasText: `Resolved the incident of ${ACKED}` }).waitFor();
  const inc = await incidentOf(ACKED);
  assert.equal(inc.state, "resolved");
  assert.equal(inc.resolved_by, "manual");
  // Focus is not lost with the row: it goes to the section's heading.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "incidents-title");
});

test("a refused call says why (409) and the row leaves", async () => {
  await webhook(cfErrored({ input: REFUSED, at: at(), code: "ERR_UNSUPPORTED_VIDEO_CODEC", message: "H.265 is not supported" }));
  await incidentRow(REFUSED).waitFor({ timeout: 5000 });
  const id = await incidentRow(REFUSED).getAttribute("data-id");
  // Someone else resolves it the moment the board's acknowledgement is sent.
  let resolvedElsewhere;
  await page.route("**/incidents/*/acknowledge", async (route) => {
    resolvedElsewhere = (await w.api(`/incidents/${id}/resolve`, { method: "POST" })).status;
    await route.fulfill({ response: await route.fetch() });
  }, { times: 1 });
  await page.getByRole("button", { name: `Acknowledge the incident of ${REFUSED}` }).click();
  await page.locator("#incidents-error", { hasText: "409" }).waitFor({ timeout: 5000 });
  assert.equal(resolvedElsewhere, 200);
  const message = await page.locator("#incidents-error").innerText();
  assert.equal(message, `Could not acknowledge the incident of ${REFUSED}: the incident is already resolved (409).`);
  await incidentRow(REFUSED).waitFor({ state: "detached", timeout: 5000 });
  // The browser reports the refused request itself; that one is expected, and only that one.
  assert.deepEqual(problems.map((p) => p.replace(/http:\/\/[^/]+/, "")).sort(), [
    "console: Failed to load resource: the server responded with a status of 409 (Conflict)",
    `response: 409 /incidents/${id}/acknowledge`,
  ]);
  problems.length = 0;
});

test("a recovering stream's incident leaves by itself after the stable wait", async () => {
  await webhook(cfErrored({ input: RECOVERS, at: at(), code: "ERR_GOP_OUT_OF_RANGE" }));
  await incidentRow(RECOVERS).waitFor({ timeout: 5000 });
  const t0 = Date.now();
  await webhook(cfConnected({ input: RECOVERS, at: at() }));
  await incidentRow(RECOVERS).waitFor({ state: "detached", timeout: 8000 });
  console.log(`# recovered incident off the board ${Date.now() - t0} ms after the connected webhook (stable wait 1 s)`);
  const inc = await incidentOf(RECOVERS);
  assert.equal(inc.state, "resolved");
  assert.equal(inc.resolved_by, "recovery");
});

test("an acknowledgement made elsewhere is shown live", async () => {
  await webhook(cfErrored({ input: ELSEWHERE, at: at(), code: "ERR_STORAGE_QUOTA_EXHAUSTED", message: "Storage quota exhausted" }));
  await incidentRow(ELSEWHERE).waitFor({ timeout: 5000 });
  const id = await incidentRow(ELSEWHERE).getAttribute("data-id");
  assert.equal((await w.api(`/incidents/${id}/acknowledge`, { method: "POST" })).status, 200);
  await page.locator(`.incident[data-id="${id}"][data-state="acknowledged"]`).waitFor({ timeout: 5000 });
});

test("more kinds of incident: off air past the grace period, a warning with the stream's name", async () => {
  await webhook(cfConnected({ input: OFFLINE, at: at() }));
  await webhook(cfDisconnected({ input: OFFLINE, at: at() }));
  await incidentRow(OFFLINE).waitFor({ timeout: 6000 });
  assert.equal(await incidentRow(OFFLINE).getAttribute("data-cause"), "offline");
  assert.match(await incidentRow(OFFLINE).innerText(), /Off air/);
  // IVS's examples, at this test's times.
  const now = (name) => JSON.stringify({ ...JSON.parse(fixture("ivs", name)), time: at() });
  await webhook(now("stream-start.json"), ivs);
  await webhook(now("starvation-start.json"), ivs);
  const warning = page.locator(`.incident[data-key="ivs:live_input:${CHANNEL}"]`);
  await warning.waitFor({ timeout: 5000 });
  const text = await warning.innerText();
  assert.equal(await warning.getAttribute("data-cause"), "warning");
  assert.match(text, /Your Channel/);
  assert.match(text, /ivs · live input/);
  assert.match(text, /Starvation/);
  // Newest first.
  const keys = await page.locator(".incident").evaluateAll((rows) => rows.map((r) => r.dataset.key));
  assert.deepEqual(keys, [`ivs:live_input:${CHANNEL}`, key(OFFLINE), key(ELSEWHERE)]);
});

test("a stream's details list its incidents, newest first", async () => {
  await webhook(cfErrored({ input: ACKED, at: at(), code: "ERR_GOP_OUT_OF_RANGE" }));
  await incidentRow(ACKED).waitFor({ timeout: 5000 });
  // Opened from the incident's stream link.
  await incidentRow(ACKED).locator(".inc-stream button").click();
  await page.locator("#details").waitFor();
  assert.equal(await page.locator("#details-title").innerText(), ACKED);
  const items = page.locator("#stream-incidents > li");
  await page.locator("#stream-incidents > li[data-state]").nth(1).waitFor({ timeout: 5000 });
  assert.equal(await items.count(), 2);
  const [newest, older] = await items.allInnerTexts();
  assert.match(newest, /errored/);
  assert.match(newest, /open/);
  assert.match(newest, /for (\d+ m )?\d+ s/);
  assert.match(older, /resolved \(by hand\)/);
  assert.match(older, /lasted (\d+ m )?\d+ s/);
  assert.ok(older.includes(XSS), "the message as text");
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  // A change of the open stream's incident shows in its details without a reload.
  await page.getByRole("button", { name: `Acknowledge the incident of ${ACKED}` }).click();
  await page.locator("#stream-incidents > li[data-state=acknowledged]").waitFor({ timeout: 5000 });
  await shoot("docs/board-incident-details.png");
  await page.click("#close");
  // A stream that recovered: resolved by recovery.
  await page.locator(".row", { hasText: RECOVERS }).click();
  await page.locator("#stream-incidents > li[data-state=resolved]").waitFor({ timeout: 5000 });
  assert.match(await page.locator("#stream-incidents").innerText(), /resolved \(by recovery\)/);
  await page.click("#close");
});

test("after a reload the same incidents are listed from the API", async () => {
  const before = await page.locator(".incident").evaluateAll((rows) => rows.map((r) => `${r.dataset.id} ${r.dataset.state}`));
  await page.reload();
  await page.locator(".incident").first().waitFor();
  const after = await page.locator(".incident").evaluateAll((rows) => rows.map((r) => `${r.dataset.id} ${r.dataset.state}`));
  assert.deepEqual(after, before);
  assert.equal(after.length, 4);
  await page.locator("#feed", { hasText: "live" }).waitFor();
  await sleep(1000);
  await shoot("docs/board-incidents.png");
});

test("900 and 375 px wide: nothing overflows sideways; the buttons stay in reach", async () => {
  await page.setViewportSize({ width: 900, height: 800 });
  await sleep(200);
  const middle = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(middle <= 0, `${middle} px of horizontal overflow at 900 px`);
  await page.setViewportSize({ width: 375, height: 800 });
  await sleep(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${overflow} px of horizontal overflow`);
  for (const button of await page.locator(".inc-actions button:visible").all()) {
    const box = await button.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 375, "inside the width");
    assert.ok(box.height >= 24, "big enough to tap");
  }
  await shoot("docs/board-incidents-narrow.png");
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("no console errors in all of the above", () => {
  assert.deepEqual(problems, []);
});
