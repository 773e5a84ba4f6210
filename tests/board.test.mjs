// The status board in a real headless Chromium (found by scripts/chromium.mjs; without one the
// file fails, saying how to get one), driven by playwright-core, against the real built worker
// and board under miniflare, served on 127.0.0.1: sign-in and a wrong token, the streams, live
// updates and a new stream without reload, history, alerts with their deliveries and a manual
// retry, provider markup rendered as text, the strict Content-Security-Policy, keyboard use, the
// 375 px layout, and no console errors.
// Screenshots: docs/board.png (1280 px), docs/board-details.png (a stream's history and alerts),
// docs/board-providers.png (who reached us) and docs/board-narrow.png (375 px).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { openBoardPage } from "./board-page.mjs";
import {
  startWorker, send, cloudflare, fastpix, gcore, ivs, mux, fixture, cfErrored, eventually, sleep,
  SECRETS, FAST_ALERTS, runCleanups,
} from "./helpers.mjs";
import { startReceiver, isIncidentNotice } from "./receiver.mjs";
import { chromiumPath } from "../scripts/chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TOKEN = SECRETS.STATUS_API_TOKEN;
const cleanups = [];
let w, rx, browser, page;
const problems = []; // console errors and page errors

const at = (s) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
const DEAD_INPUT = "b0a7d000000000000000000000000001";
const CHANNEL = "arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij";

before(async () => {
  const executablePath = chromiumPath(); // first: without one, nothing else is started
  // A subscriber that fails the first four attempts (the whole fast schedule), then accepts.
  rx = await startReceiver({ respond: (_hit, n) => (n <= 4 ? 500 : 200), setAside: isIncidentNotice });
  cleanups.push(() => rx.close());
  w = await startWorker({ port: 0, vars: FAST_ALERTS });
  cleanups.push(() => w.dispose());
  const sub = await w.api("/subscriptions", { method: "POST", body: { url: rx.url } });
  assert.equal(sub.status, 201, sub.text);
  // Streams of all three providers; an errored one whose message and id carry markup.
  for (const req of [
    cloudflare(fixture("cloudflare", "connected.json")),
    fastpix(fixture("fastpix", "live-stream-active.json")),
    gcore(fixture("gcore", "video-uploaded.json")),
    cloudflare(cfErrored({ input: DEAD_INPUT, at: at(1), message: XSS })),
  ]) {
    const r = await send(w, req);
    assert.equal(r.status, 200, r.text);
  }
  // Its alert's only delivery ends dead (four 500s).
  assert.ok(await eventually(async () => (await w.api("/alerts?delivery=dead")).body.alerts?.length === 1, 15_000));
  // Providers added later: a Mux stream, and an IVS channel that is live but starved (a
  // warning; its alert reaches the subscriber, which accepts everything from now on).
  for (const req of [
    mux(fixture("mux", "live-stream-active.json")),
    ivs(fixture("ivs", "stream-start.json")),
    ivs(fixture("ivs", "starvation-start.json")),
  ]) {
    const r = await send(w, req);
    assert.equal(r.status, 200, r.text);
  }
  // A forged Mux webhook: refused, and counted as such.
  const forged = await send(w, mux(fixture("mux", "live-stream-idle.json"), { secret: "not-the-secret" }));
  assert.equal(forged.status, 401, forged.text);
  // KV (the listing) catches up within a second.
  assert.ok(await eventually(async () => (await w.api("/streams")).body.streams?.some((s) => s.warning), 5_000));
  assert.equal((await w.api("/streams")).body.streams.length, 6);

  ({ browser, page } = await openBoardPage({ executablePath, cleanups, problems, expected: (status) => status === 401 }));
});

after(() => runCleanups(cleanups));

const row = (id) => page.locator(".row", { hasText: id });

/** A screenshot of the whole page: the viewport grows to the page first, so rows that the
 * browser skips off-screen (`content-visibility: auto`) are drawn. */
async function shoot(file) {
  const { width, height } = page.viewportSize();
  const full = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height: Math.max(height, full) });
  await sleep(300);
  mkdirSync(path.join(root, "docs"), { recursive: true });
  await page.screenshot({ path: path.join(root, file) });
  await page.setViewportSize({ width, height });
}

test("the page is static, strict and needs no token to load", async () => {
  const res = await fetch(new URL("/", w.url));
  assert.equal(res.status, 200);
  const csp = res.headers.get("content-security-policy");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert.doesNotMatch(html, /<script>|\bon\w+=|style=/, "no inline script, handler or style");
  assert.doesNotMatch(html, /https?:\/\//, "nothing from elsewhere");
});

test("a wrong token gets a clear message and shows no data", async () => {
  await page.goto(String(w.url));
  await page.fill("#token", "not-the-token");
  await page.press("#token", "Enter");
  await page.locator("#signin-error", { hasText: "refused" }).waitFor();
  assert.equal(await page.locator("#board").isHidden(), true);
  assert.equal(page.url().includes("not-the-token"), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("livehook.token")), null);
  // The browser reports the refused request itself; that one is expected, and only that one.
  assert.deepEqual(problems, ["console: Failed to load resource: the server responded with a status of 401 (Unauthorized)"]);
  problems.length = 0;
});

test("signed in: every stream with its state as text, name, error code and hint", async () => {
  await page.fill("#token", TOKEN);
  await page.click("button[type=submit]");
  await row("eb222fcca08eeb1ae84c981ebe8aeeb6").waitFor();
  assert.equal(page.url().includes(TOKEN), false, "the token never goes in the URL");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("livehook.token")), TOKEN);
  assert.equal(await page.locator(".row").count(), 6);
  assert.match(await row("eb222fcca08eeb1ae84c981ebe8aeeb6").innerText(), /connected/);
  assert.match(await row("a0ba2bf6-fe6b-441c-a9be-bf910d223218").innerText(), /live/);
  const video = await row("54321").innerText();
  assert.match(video, /SampleVideo/);
  assert.match(video, /gcore · video/);
  const errored = await row(DEAD_INPUT).innerText();
  assert.match(errored, /errored/);
  assert.match(errored, /ERR_GOP_OUT_OF_RANGE/);
  assert.match(errored, /keyframe interval/i, "the hint");
  assert.match(await page.locator("#counts").innerText(), /errored\s*1/);
  // A warning on a stream that goes on: live, with the warning's code and message.
  const starved = await row(CHANNEL).innerText();
  assert.match(starved, /live/);
  assert.match(starved, /Your Channel/);
  assert.match(starved, /ivs · live input/);
  assert.match(starved, /Starvation/);
  assert.match(starved, /not receiving video/);
  assert.match(await row("QrikEQpEXp3RvklQSHyHSYOakQkXlRId").innerText(), /mux · live input/);
  await page.locator("#feed", { hasText: "live" }).waitFor();
});

test("providers: who reached us, when, and what was refused", async () => {
  await page.click("#traffic summary");
  const ivsRow = page.locator('#traffic-rows tr[data-provider="ivs"]');
  await ivsRow.waitFor();
  const ivsText = await ivsRow.innerText();
  assert.match(ivsText, /set/);
  assert.match(ivsText, /s ago/);
  assert.match(ivsText, /2 accepted/);
  const muxText = await page.locator('#traffic-rows tr[data-provider="mux"]').innerText();
  assert.match(muxText, /1 accepted/);
  assert.match(muxText, /unauthorized 1/);
  assert.match(await page.locator('#traffic-rows tr[data-provider="livepeer"]').innerText(), /none in 24 h/);
  assert.match(await page.locator("#traffic-summary").innerText(), /1 refused in the last hour/);
  assert.match(await page.locator("#traffic-source").innerText(), /one worker instance/);
  await shoot("docs/board-providers.png");
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${overflow} px of horizontal overflow with the providers open`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.click("#traffic summary");
});

test("filters and search narrow the list", async () => {
  await page.selectOption("#provider", "gcore");
  assert.equal(await page.locator(".row:visible").count(), 1);
  await page.selectOption("#provider", "");
  await page.selectOption("#state", "errored");
  assert.equal(await page.locator(".row:visible").count(), 1);
  await page.selectOption("#state", "");
  await page.fill("#search", "a0ba2bf6");
  assert.equal(await page.locator(".row:visible").count(), 1);
  await page.fill("#search", "channel/AbCdef");
  assert.equal(await page.locator(".row:visible").count(), 1);
  await page.fill("#search", "");
  assert.equal(await page.locator(".row:visible").count(), 6);
});

test("a webhook's effect appears without a reload, new streams included", async () => {
  const input = "eb222fcca08eeb1ae84c981ebe8aeeb6";
  const marker = await page.evaluate(() => (window.__marker = Math.random()));
  const t0 = Date.now();
  const r = await send(w, cloudflare(fixture("cloudflare", "seed-000-disconnected.json")));
  assert.equal(r.body.outcome, "applied", r.text);
  await page.locator(".row", { hasText: input }).filter({ hasText: "disconnected" }).waitFor({ timeout: 5000 });
  const changed = Date.now() - t0;
  const fresh = "c0ffee00000000000000000000000042";
  const t1 = Date.now();
  await send(w, cloudflare(cfErrored({ input: fresh, at: at(2), code: "ERR_UNSUPPORTED_VIDEO_CODEC" })));
  await row(fresh).filter({ hasText: "errored" }).waitFor({ timeout: 5000 });
  const appeared = Date.now() - t1;
  assert.equal(await page.evaluate(() => window.__marker), marker, "no reload happened");
  assert.match(await page.locator("#counts").innerText(), /errored\s*2/);
  console.log(`# live update: state change on screen ${changed} ms after the webhook, new stream ${appeared} ms`);
});

test("a stream's history and alerts; a dead delivery is retried from the board", async () => {
  await row(DEAD_INPUT).click();
  const details = page.locator("#details");
  await details.waitFor();
  await page.locator("#history li", { hasText: "live_input.errored" }).waitFor();
  assert.match(await page.locator("#history").innerText(), /applied/);
  const alert = page.locator("#alerts > li").first();
  await alert.locator(".d-dead").waitFor();
  await alert.locator("button", { hasText: "Retry" }).click();
  await page.locator("#alerts .d-delivered").waitFor({ timeout: 10_000 });
  assert.ok(rx.hits.length >= 5, "the retry reached the subscriber");
  await shoot("docs/board-details.png");
});

test("provider markup is shown as text and never runs", async () => {
  const text = await page.locator("#details").innerText();
  assert.ok(text.includes(XSS), "the message is shown as sent");
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator("#details img, #details script, .row img").count(), 0);
  await page.click("#close");
});

test("keyboard: a stream opens with Enter and closes with Escape", async () => {
  await page.locator(".row").first().focus();
  await page.keyboard.press("Enter");
  await page.locator("#details").waitFor();
  await page.keyboard.press("Escape");
  assert.equal(await page.locator("#details").isHidden(), true);
  await shoot("docs/board.png");
});

test("375 px wide: nothing overflows sideways and ids wrap", async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  await sleep(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${overflow} px of horizontal overflow`);
  const idBox = await row(DEAD_INPUT).locator(".id").boundingBox();
  assert.ok(idBox.x + idBox.width <= 375, "the id fits the width");
  await shoot("docs/board-narrow.png");
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("no console errors in all of the above", () => {
  assert.deepEqual(problems, []);
});
