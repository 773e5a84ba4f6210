// `npm run bench:board`: what the status board costs the browser with 10 000 streams. Serves the
// real board/ files to headless Chromium and answers its API calls (GET /streams pages of 100,
// the live WebSocket) with synthetic records, so the figures are the page's own work: load and
// render every stream, filter by search, apply live changes. Prints a table; numbers vary with
// the machine.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";
import { chromiumPath } from "../scripts/chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env.BOARD_STREAMS ?? 10_000);
const STATES = ["live", "connected", "disconnected", "idle", "errored"];
const record = (i, state = STATES[i % STATES.length]) => ({
  provider: ["cloudflare", "fastpix", "gcore"][i % 3],
  stream_id: `stream-${String(i).padStart(6, "0")}`,
  kind: "live_input",
  state,
  recording: i % 7 === 0,
  updated_at: new Date(Date.now() - i * 1000).toISOString(),
  received_at: new Date(Date.now() - i * 1000).toISOString(),
  // As with the providers' APIs polled: every stream verified, one in ten set by the API.
  last_event: i % 10 === 0 ? "reconcile" : `t.${state}`,
  verified_at: new Date(Date.now() - (i % 600) * 1000).toISOString(),
  ...(state === "errored" ? { error: { code: "ERR_GOP_OUT_OF_RANGE", message: "m", hint: "Set a fixed keyframe interval." } } : {}),
});

const files = { "/": "index.html", "/board.js": "board.js", "/board.css": "board.css", "/favicon.svg": "favicon.svg" };
const types = { js: "text/javascript", css: "text/css", html: "text/html", svg: "image/svg+xml" };
const executablePath = chromiumPath();
const browser = await chromium.launch({
  executablePath, headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
let pages = 0;
await page.route("http://board.test/**", async (route) => {
  const url = new URL(route.request().url());
  if (files[url.pathname]) {
    const f = files[url.pathname];
    return route.fulfill({ status: 200, contentType: types[f.split(".").pop()], body: readFileSync(path.join(root, "board", f)) });
  }
  if (url.pathname === "/streams") {
    pages++;
    const start = Number(url.searchParams.get("cursor") || 0);
    const end = Math.min(start + 100, N);
    const streams = Array.from({ length: end - start }, (_, k) => record(start + k));
    const done = end >= N;
    return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ streams, cursor: done ? null : String(end), list_complete: done }) });
  }
  return route.fulfill({ status: 404, body: "{}" });
});
let socket;
await page.routeWebSocket("ws://board.test/alerts/live", (ws) => { socket = ws; ws.onMessage((m) => { if (m === "ping") ws.send("pong"); }); });

await page.goto("http://board.test/");
await page.fill("#token", "bench-token");
const t0 = Date.now();
await page.click("button[type=submit]");
await page.waitForFunction(() => document.getElementById("progress").textContent === "" && document.querySelector("#counts b")?.textContent !== undefined && document.querySelectorAll("#streams > li").length > 0, null, { timeout: 120_000, polling: 10 });
const counted = await page.$eval("#counts b", (b) => Number(b.textContent));
if (counted !== N) throw new Error(`counted ${counted} streams, not ${N}`);
const load = Date.now() - t0;
await page.waitForFunction(() => document.getElementById("feed").textContent === "live");

const t1 = Date.now();
const search = (q) => page.$eval("#search", (el, v) => { el.value = v; el.dispatchEvent(new Event("input")); }, q);
await search("stream-004242");
await page.waitForFunction(() => document.querySelectorAll("#streams > li").length === 1, null, { polling: 10 });
const searched = Date.now() - t1;
await search("");

await page.waitForFunction((n) => document.querySelectorAll("#streams > li").length === n, Math.min(N, 1000), { polling: 10 });

// Live changes: 100 state changes pushed over the feed, one at a time, each until it shows.
const samples = [];
for (let k = 0; k < 100; k++) {
  const i = (k * 97) % Math.min(N, 1000); // a stream on screen
  const state = k % 2 ? "errored" : "live";
  const t = performance.now();
  socket.send(JSON.stringify({ type: "stream", version: 1000 + k, record: record(i, state) }));
  const key = `${record(i).provider}:live_input:${record(i).stream_id}`;
  await page.waitForFunction(([key, st]) => document.querySelector(`li[data-key="${key}"] .badge`)?.textContent === st, [key, state], { polling: 1 });
  samples.push(performance.now() - t);
}
samples.sort((a, b) => a - b);
const dom = await page.evaluate(() => document.getElementsByTagName("*").length);
const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
await browser.close();

const weight = ["index.html", "board.css", "board.js", "favicon.svg"].reduce((s, f) => s + readFileSync(path.join(root, "board", f)).length, 0);
console.log(`| board, ${N} streams (headless Chromium ${executablePath}) | |`);
console.log("|---|---:|");
console.log(`| load every stream (${pages} API pages of 100), draw the first 1 000 | ${load} ms |`);
console.log(`| search narrowing to one | ${searched} ms |`);
console.log(`| live change applied, median / p95 / max of 100 | ${samples[50].toFixed(1)} / ${samples[95].toFixed(1)} / ${samples[99].toFixed(1)} ms |`);
console.log(`| DOM elements / JS heap | ${dom} / ${(heap / 1048576).toFixed(1)} MiB |`);
console.log(`| page files, raw | ${weight} B |`);
