// What the providers' APIs told livehook, on the board, in a real headless Chromium
// (scripts/chromium.mjs) driven by playwright-core against the real built worker and board under
// miniflare. The local stand-ins of tests/stand-ins/apis/ answer Livepeer Studio's listing and
// refuse Gcore's (401), each checking the documented request; FastPix has an unusable base URL;
// the rest are not polled. `POST /reconcile` runs the passes (settle time 0): a stream livehook never heard of is
// added, a lost disconnect is corrected, a stream the API agrees with is verified. The board shows
// "verified N s ago" on each verified row (and nothing on the others), a "from API" mark on a
// state the API set (row, its label for screen readers, details, the history's `corrected`
// entry), a correction made while the board is open without a reload, each API's health in the
// Providers panel, provider names as text, the 375 px layout, and no console errors.
// Screenshots: docs/board-reconcile.png (1280 px, Providers panel and a corrected stream's
// details open) and docs/board-reconcile-narrow.png (375 px).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { openBoardPage } from "./board-page.mjs";
import {
  startWorker, send, cloudflare, livepeer, nginxRtmp, fixture, cfConnected, eventually, sleep, SECRETS, runCleanups,
} from "./helpers.mjs";
import { chromiumPath } from "../scripts/chromium.mjs";
import { startLivepeer } from "./stand-ins/apis/livepeer.mjs";
import { startGcore } from "./stand-ins/apis/gcore.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const XSS = `<img src=x onerror="window.__xss=1">Lobby`;
const ADDED = "5a1b2c3d-0000-4000-8000-000000000001"; // only the API knows it (its name has markup)
const LOST = "5a1b2c3d-0000-4000-8000-000000000002"; // live by webhook; the API says idle
const AGREES = "5a1b2c3d-0000-4000-8000-000000000003"; // live by webhook and by the API
const INPUT = "c0ffee00000000000000000000000001"; // a Cloudflare input no API is asked about
const cleanups = [];
let w, lp, gcore, browser, page;
const problems = []; // console errors, page errors and failed responses

/** What Livepeer's API lists: `AGREES` on air (or not). */
const livepeerStreams = (agreesLive) => [
  { id: ADDED, name: XSS, state: "live" },
  { id: LOST, name: "Studio B", state: "idle" },
  { id: AGREES, name: "Stage left", state: agreesLive ? "live" : "idle" },
];

/** Livepeer's `stream.started` for `id`, as Studio signs it. */
function started(id, name) {
  const body = JSON.parse(String(fixture("livepeer", "stream-started.json")));
  body.id = `started-${id}`;
  body.stream = { ...body.stream, id, name };
  return livepeer(JSON.stringify(body));
}

before(async () => {
  const executablePath = chromiumPath(); // first: without one, nothing else is started
  lp = await startLivepeer();
  cleanups.push(() => lp.close());
  lp.setStreams(livepeerStreams(true));
  gcore = await startGcore({ respond: () => 401 }); // the key was revoked
  cleanups.push(() => gcore.close());
  w = await startWorker({
    port: 0,
    vars: {
      ALERT_ALLOW_LOOPBACK: "true",
      RECONCILE_SETTLE_SECONDS: "0",
      ...lp.env,
      ...gcore.env,
      FASTPIX_TOKEN_ID: "test-fastpix-token-id",
      FASTPIX_TOKEN_SECRET: "test-fastpix-token-secret",
      FASTPIX_API_BASE: "ftp://api.fastpix.example",
    },
  });
  cleanups.push(() => w.dispose());
  for (const req of [started(LOST, "Studio B"), started(AGREES, "Stage left"), cloudflare(cfConnected({ input: INPUT }))]) {
    const r = await send(w, req);
    assert.equal(r.status, 200, r.text);
  }
  // The pass at once, within each stream's one-KV-write-a-second slot: a confirmation's
  // verified_at reaches KV by the stream's alarm.
  const pass = await w.api("/reconcile", { method: "POST" });
  assert.equal(pass.status, 200, pass.text);
  assert.deepEqual(pass.body, {
    already_running: false,
    providers: {
      gcore: { listed: 0, checked: 0, confirmed: 0, corrected: 0, added: 0, errors: 1 },
      livepeer: { listed: 3, checked: 3, confirmed: 1, corrected: 1, added: 1, errors: 0 },
    },
  });
  // Each stand-in saw the documented request with its own authentication.
  assert.equal(lp.requests.length, 1);
  assert.equal(gcore.requests.length, 1);
  assert.deepEqual([...lp.problems, ...gcore.problems], []);
  // KV (the listing) catches up within a second.
  assert.ok(await eventually(async () => {
    const streams = (await w.api("/streams")).body.streams ?? [];
    return streams.length === 4 && streams.filter((s) => s.verified_at).length === 3;
  }, 5_000), "the listing has the added stream and three verified ones");

  ({ browser, page } = await openBoardPage({ executablePath, cleanups, problems }));
});

after(() => runCleanups(cleanups));

const row = (id) => page.locator(".row", { hasText: id });
const apiCell = (route) => page.locator(`#traffic-rows tr[data-provider="${route}"] td[data-label="API"]`);

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

let firstVerified; // the added stream's "verified …" text at sign-in, and when it was read

test("each verified stream says when; a state from the API is marked, as text and for screen readers", async () => {
  await page.goto(String(w.url));
  await page.fill("#token", SECRETS.STATUS_API_TOKEN);
  await page.click("button[type=submit]");
  await row(ADDED).waitFor();
  assert.equal(await page.locator(".row").count(), 4);

  // Added from the API: live, marked, verified; its name (markup) shown as text.
  const added = row(ADDED);
  const addedText = await added.innerText();
  assert.match(addedText, /live/);
  assert.match(addedText, /from API/);
  assert.match(addedText, /verified \d+ s ago/);
  assert.ok(addedText.includes(XSS), "the API's name is shown as sent");
  firstVerified = { text: await added.locator(".verified").innerText(), at: Date.now() };
  const mark = added.locator(".via-api");
  assert.match(await mark.getAttribute("title"), /corrected from the provider's API/);
  assert.match(await added.getAttribute("aria-label"), /live, corrected from the provider's API, verified by the provider's API at /);

  // The lost disconnect, corrected: idle, marked.
  const lost = await row(LOST).innerText();
  assert.match(lost, /idle/);
  assert.match(lost, /from API/);
  assert.match(lost, /verified \d+ s ago/);

  // The API agreed: verified, not marked (its state came from a webhook).
  const agrees = await row(AGREES).innerText();
  assert.match(agrees, /live/);
  assert.match(agrees, /verified \d+ s ago/);
  assert.doesNotMatch(agrees, /from API/);
  assert.doesNotMatch(await row(AGREES).getAttribute("aria-label"), /corrected/);

  // No API was asked about the Cloudflare input: no verified time, no mark.
  const input = await row(INPUT).innerText();
  assert.doesNotMatch(input, /verified|from API/);
  assert.equal(await row(INPUT).locator(".verified, .via-api").count(), 0);

  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator(".row img").count(), 0);
  await page.locator("#feed", { hasText: "live" }).waitFor();
});

test("the Providers panel shows each API: ok and when, a failure with its status, not polled, an invalid setting", async () => {
  await page.click("#traffic summary");
  const livepeerApi = apiCell("livepeer");
  await livepeerApi.waitFor();
  const ok = await livepeerApi.innerText();
  assert.match(ok, /ok · checked \d+ s ago/);
  assert.match(ok, /2 corrected in 24 h/, "the addition and the correction");
  assert.match(ok, /round \d+ s/);

  const gcore = apiCell("gcore");
  assert.match(await gcore.innerText(), /unauthorized 401 · \d+ s ago/);
  assert.equal(await gcore.locator(".warn").count(), 1, "a failure in warning style");
  assert.match(await gcore.locator(".warn").getAttribute("title"), /nothing was changed/);

  const fastpix = apiCell("fastpix");
  assert.match(await fastpix.innerText(), /not polled: FASTPIX_API_BASE invalid/);
  assert.match(await fastpix.getAttribute("class"), /warn/);

  const mux = apiCell("mux");
  assert.equal(await mux.innerText(), "not polled");
  assert.match(await mux.getAttribute("title"), /MUX_TOKEN_ID, MUX_TOKEN_SECRET/);
  assert.equal(await apiCell("cloudflare").innerText(), "not polled");
  assert.equal(await apiCell("ivs").innerText(), "not polled");
  assert.equal(await apiCell("cloudflare-stream").innerText(), "not polled (videos)");
  for (const route of ["srs", "nginx-rtmp", "ovenmediaengine", "mediamtx"]) assert.equal(await apiCell(route).innerText(), "none (self-hosted)", route);

  assert.match(await page.locator("#traffic-summary").innerText(), /2 APIs polled · 2 failing/);
  assert.equal(await page.locator("#traffic thead th", { hasText: "API" }).count(), 1);
});

test("a corrected stream's details: verified at, the mark, the history's corrected entry", async () => {
  await row(LOST).click();
  await page.locator("#details").waitFor();
  const record = page.locator("#details-record");
  await record.locator("dt", { hasText: "Verified" }).waitFor();
  const text = await record.innerText();
  assert.match(text, /Last event\s+reconcile/);
  assert.match(text, /from API/);
  assert.match(text, /by the provider's API, \d+ s ago/);
  const entry = page.locator("#history li", { hasText: "reconcile" });
  await entry.waitFor();
  const outcome = entry.locator(".o-corrected");
  assert.equal(await outcome.innerText(), "corrected");
  assert.match(await outcome.getAttribute("title"), /corrected from the provider's API/);
  assert.equal(await outcome.evaluate((n) => getComputedStyle(n).fontWeight), "700", "set apart from applied");
  assert.match(await page.locator("#history li", { hasText: "stream.started" }).innerText(), /applied/);
  await shoot("docs/board-reconcile.png");
});

test("a correction made while the board is open appears without a reload, marked", async () => {
  const marker = await page.evaluate(() => (window.__marker = Math.random()));
  lp.setStreams(livepeerStreams(false));
  const t0 = Date.now();
  const pass = await w.api("/reconcile", { method: "POST" });
  assert.equal(pass.body.providers.livepeer.corrected, 1, pass.text);
  await row(AGREES).filter({ hasText: "idle" }).filter({ hasText: "from API" }).waitFor({ timeout: 5000 });
  console.log(`# correction on screen ${Date.now() - t0} ms after POST /reconcile`);
  assert.equal(await page.evaluate(() => window.__marker), marker, "no reload happened");
  assert.match(await row(AGREES).getAttribute("aria-label"), /idle, corrected from the provider's API/);
  assert.deepEqual(lp.problems, []);
});

test("'verified N s ago' keeps counting", async () => {
  // The board's tick rewrites these every 15 s.
  const wait = firstVerified.at + 16_000 - Date.now();
  if (wait > 0) await sleep(wait);
  const now = await row(ADDED).locator(".verified").innerText();
  assert.notEqual(now, firstVerified.text, `${firstVerified.text} → ${now}`);
  assert.match(now, /^verified \d+ s ago$/);
});

test("375 px wide: nothing overflows sideways, the Providers panel stacks into labelled lines", async () => {
  await page.click("#close");
  await page.setViewportSize({ width: 375, height: 800 });
  await sleep(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${overflow} px of horizontal overflow`);
  const label = await apiCell("livepeer").evaluate((n) => getComputedStyle(n, "::before").content);
  assert.equal(label, `"API"`);
  const mark = await row(ADDED).locator(".via-api").boundingBox();
  assert.ok(mark.x + mark.width <= 375, "the mark fits the width");
  await shoot("docs/board-reconcile-narrow.png");
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("a stream an nginx-rtmp heartbeat verified says so, not the provider's API", async () => {
  for (const name of ["publish.form", "update-publish.form"]) {
    const r = await send(w, nginxRtmp(fixture("nginx-rtmp", name)));
    assert.equal(r.status, 200, `${name}: ${r.text}`);
  }
  const beat = row("live/studio-a").filter({ hasText: "verified" });
  await beat.waitFor({ timeout: 5000 });
  assert.match(await beat.getAttribute("aria-label"), /live, verified by the server's heartbeat at /);
  assert.match(await beat.locator(".verified").getAttribute("title"), /^the server's heartbeat confirmed/);
  assert.equal(await beat.locator(".via-api").count(), 0, "no API set it");
  await beat.click();
  await page.locator("#details-record dt", { hasText: "Verified" }).waitFor();
  assert.match(await page.locator("#details-record").innerText(), /by the server's heartbeat, \d+ s ago/);
  await page.click("#close");
});

test("no console errors in all of the above", () => {
  assert.deepEqual(problems, []);
});
