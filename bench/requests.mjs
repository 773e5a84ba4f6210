// Signed webhook requests for `npm run bench`, for all seven providers: built from the payloads in
// tests/fixtures/<provider>/*.json with fresh stream ids, event ids and event times, and signed
// the way each provider signs (the secrets are the bench's own, SECRETS below). Schemes whose
// signature carries a time checked within ±300 s (Mux, Cloudflare Stream, Livepeer) are signed
// by `sign()`, which callers run at send time (or, for a wrk request file, just before wrk reads
// it; a file of such requests is good for 300 s).
//
//   const ev = prepare("mux", fixture, { id, n, at, eventId });   // unsigned
//   const { path, headers, body } = sign(ev);                      // signed now
//   wrkLine(sign(ev))                                              // one line of bench/post.lua's file
//
// `seedLoad()` is the end-to-end load: the three seed providers round-robin over a pool of ids.
import { createHmac } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const SECRETS = {
  CF_WEBHOOK_SECRET: "bench-cf-secret",
  FASTPIX_WEBHOOK_SECRET: Buffer.from("livehook-fastpix-test-key").toString("base64"),
  GCORE_WEBHOOK_TOKEN: "bench-gcore-token",
  STATUS_API_TOKEN: "bench-api-token",
  CF_STREAM_WEBHOOK_SECRET: "bench-cf-stream-secret",
  IVS_WEBHOOK_TOKEN: "bench-ivs-token",
  MUX_WEBHOOK_SECRET: "bench-mux-secret",
  LIVEPEER_WEBHOOK_SECRET: "bench-livepeer-secret",
};
const GCORE_IP = "92.223.123.10";

/** The routes, as `/webhooks/{route}`. */
export const PROVIDERS = ["cloudflare", "cloudflare-stream", "fastpix", "gcore", "ivs", "livepeer", "mux"];
/** The providers the naive JS baseline knows: the end-to-end load uses only these. */
export const SEED_PROVIDERS = ["cloudflare", "fastpix", "gcore"];

// Not webhooks of a stream: Cloudflare's "Save and Test" body and another notification type.
const SKIP = new Set(["cloudflare/save-and-test.json", "cloudflare/other-alert-type.json"]);

/** `[{name, json}]`: the provider's fixtures (parsed, sorted by name), without the non-events. */
export function fixtures(provider) {
  const dir = path.join(root, "tests/fixtures", provider);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !SKIP.has(`${provider}/${f}`))
    .sort()
    .map((name) => ({ name, json: JSON.parse(readFileSync(path.join(dir, name), "utf8")) }));
}

/** One fixture by file name. */
export function fixture(provider, name) {
  const found = fixtures(provider).find((f) => f.name === name);
  if (!found) throw new Error(`no fixture tests/fixtures/${provider}/${name}`);
  return found;
}

const iso = (ms) => new Date(ms).toISOString();

/**
 * The fixture `json` of `provider` made into a new event: stream `id` (a string; Gcore's ids are
 * numbers, so `n` is used there), event id `eventId`, event time `at` (ms since the epoch).
 * Returns `{provider, path, body}` (body an object, still unsigned).
 */
export function prepare(provider, json, { id, n, at, eventId }) {
  const p = structuredClone(json);
  switch (provider) {
    case "cloudflare": {
      if (p.data) {
        p.data.input_id = id;
        p.data.updated_at = iso(at);
      }
      p.text = `Notification type: Stream Live Input\nInput ID: ${id}\nEvent type: ${p.data?.event_type ?? ""}\nUpdated at: ${iso(at)}`;
      p.ts = Math.floor(at / 1000);
      return { provider, path: "/webhooks/cloudflare", body: p };
    }
    case "cloudflare-stream": {
      p.uid = id;
      p.modified = iso(at);
      if (p.liveInput) p.liveInput = `in-${id}`;
      return { provider, path: "/webhooks/cloudflare-stream", body: p };
    }
    case "fastpix": {
      const d = p.data ?? {};
      if (d.simulcastId !== undefined) {
        d.simulcastId = `target-${id}`;
        if (d.livestreamId !== undefined) d.livestreamId = id;
      } else {
        for (const k of ["streamId", "livestreamId", "id"]) if (d[k] !== undefined) d[k] = id;
      }
      if (p.object?.id !== undefined) p.object.id = id;
      p.webhookId = eventId;
      p.created_at = iso(at);
      return { provider, path: "/webhooks/fastpix", body: p };
    }
    case "gcore": {
      const m = p.message ?? {};
      for (const k of ["stream", "video", "broadcast"]) if (m[k]) m[k].id = 100000 + n;
      return { provider, path: `/webhooks/gcore/${SECRETS.GCORE_WEBHOOK_TOKEN}`, body: p };
    }
    case "ivs": {
      p.id = eventId;
      p.time = iso(Math.floor(at / 1000) * 1000).replace(".000Z", "Z");
      p.resources = [`arn:aws:ivs:us-west-2:123456789012:channel/${id}`];
      return { provider, path: "/webhooks/ivs", body: p };
    }
    case "livepeer": {
      p.id = eventId;
      p.createdAt = at;
      if (p.stream) p.stream.id = id;
      if (p.payload?.target?.id !== undefined) p.payload.target.id = `target-${id}`;
      return { provider, path: "/webhooks/livepeer", body: p };
    }
    case "mux": {
      p.id = eventId;
      p.created_at = iso(at);
      const d = p.data ?? {};
      if (p.type?.includes(".simulcast_target.")) {
        d.id = `target-${id}`;
        if (p.object) p.object.id = d.id;
        if (d.live_stream_id !== undefined) d.live_stream_id = id;
      } else {
        if (d.id !== undefined) d.id = id;
        if (p.object) p.object.id = id;
      }
      return { provider, path: "/webhooks/mux", body: p };
    }
    default:
      throw new Error(`unknown provider ${provider}`);
  }
}

const hmacHex = (key, ...parts) => parts.reduce((h, x) => h.update(x), createHmac("sha256", key)).digest("hex");

/** Signs a prepared event at `nowMs` (default now): `{path, headers, body}` with body a string. */
export function sign({ provider, path: p, body }, nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  const headers = { "Content-Type": "application/json" };
  let text = JSON.stringify(body);
  switch (provider) {
    case "cloudflare":
      headers["cf-webhook-auth"] = SECRETS.CF_WEBHOOK_SECRET;
      break;
    case "cloudflare-stream":
      headers["Webhook-Signature"] = `time=${t},sig1=${hmacHex(SECRETS.CF_STREAM_WEBHOOK_SECRET, `${t}.`, text)}`;
      break;
    case "fastpix":
      headers["FastPix-Signature"] = createHmac("sha256", Buffer.from(SECRETS.FASTPIX_WEBHOOK_SECRET, "base64")).update(text).digest("base64");
      break;
    case "gcore":
      headers["CF-Connecting-IP"] = GCORE_IP;
      break;
    case "ivs":
      headers["Content-Type"] = "application/json; charset=utf-8";
      headers["User-Agent"] = "Amazon/EventBridge/ApiDestinations";
      headers["x-api-key"] = SECRETS.IVS_WEBHOOK_TOKEN;
      break;
    case "livepeer":
      // Studio signs the body, whose `timestamp` is the send time.
      text = JSON.stringify({ ...body, timestamp: nowMs });
      headers["User-Agent"] = "livepeer.studio";
      headers["Livepeer-Signature"] = `t=${nowMs},v1=${hmacHex(SECRETS.LIVEPEER_WEBHOOK_SECRET, text)}`;
      break;
    case "mux":
      headers["Mux-Signature"] = `t=${t},v1=${hmacHex(SECRETS.MUX_WEBHOOK_SECRET, `${t}.`, text)}`;
      break;
    default:
      throw new Error(`unknown provider ${provider}`);
  }
  return { path: p, headers, body: text };
}

/** A stream id for number `n` of `provider`, unique within `tag` (Gcore's is the number itself). */
export function streamId(provider, n, tag = "b") {
  // Cloudflare's input ids are 32 characters.
  if (provider === "cloudflare") return tag.length < 32 ? `${tag}${String(n).padStart(32 - tag.length, "0")}` : `${tag}${n}`;
  return `${tag}-${provider}-${n}`;
}

/** The `n`th new event of `provider` from its fixture `json`, with its own stream, signed at send time. */
export function freshEvent(provider, json, { n, tag = "b", at = Date.UTC(2026, 0, 1) + n * 1000 }) {
  return prepare(provider, json, { id: streamId(provider, n, tag), n, at, eventId: `${tag}-${provider}-ev-${n}` });
}

/** One line of bench/post.lua's request file: `path<TAB>header:value|…<TAB>body`. */
export function wrkLine({ path: p, headers, body }) {
  const h = Object.entries(headers)
    .filter(([k]) => k !== "Content-Type" || headers[k] !== "application/json") // post.lua's default
    .map(([k, v]) => `${k}:${v}`);
  if (/[\t\n]/.test(p + h.join("") + body) || h.some((x) => x.includes("|"))) throw new Error("request not representable in a wrk line");
  return `${p}\t${h.join("|")}\t${body}`;
}

/** Writes signed requests as bench/post.lua's request file. */
export function writeRequestFile(file, requests) {
  writeFileSync(file, requests.map(wrkLine).join("\n") + "\n");
  return file;
}

const seedFixtures = Object.fromEntries(SEED_PROVIDERS.map((p) => [p, fixtures(p).map((f) => f.json)]));
const T0 = Date.UTC(2026, 0, 1);

/**
 * The end-to-end load: `count` unique signed requests numbered from `start`, round-robin over the
 * three seed providers (each cycling through its fixtures), stream ids spread over `pool` ids
 * (`(k × 7919) mod pool` for request number k). Request k's event time is 2026-01-01 + k s, so
 * a later batch (a higher `start`) is newer than an earlier one on the same streams.
 */
export function seedLoad({ count, pool, start = 0, tag = "b" }) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const k = start + i;
    const provider = SEED_PROVIDERS[k % 3];
    const list = seedFixtures[provider];
    const n = (k * 7919) % pool;
    const id = provider === "cloudflare" ? `in${String(n).padStart(30, "0")}` : `stream-${n}`;
    out.push(sign(prepare(provider, list[Math.floor(k / 3) % list.length], { id, n, at: T0 + k * 1000, eventId: `${tag}-${k}` })));
  }
  return out;
}
