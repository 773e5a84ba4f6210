// The JavaScript baseline: what a user would write by hand instead of livehook, doing the same
// job on the same requests: authenticate (Cloudflare shared secret, FastPix HMAC-SHA256 verified
// with WebCrypto, Gcore path token + sender range), parse the JSON, and write the latest status to
// KV under the same key scheme (`status:{provider}:{kind}:{id}`). No ordering, no de-duplication,
// no alerts: those are what livehook adds. Used only by `npm run bench`.
const enc = new TextEncoder();
let fastpixKey; // CryptoKey, imported once per isolate

function equal(a, b) {
  const x = enc.encode(a);
  const y = enc.encode(b);
  return x.length === y.length && crypto.subtle.timingSafeEqual(x, y);
}

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function verifyFastpix(env, signature, body) {
  fastpixKey ??= await crypto.subtle.importKey("raw", fromBase64(env.FASTPIX_WEBHOOK_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  try {
    return await crypto.subtle.verify("HMAC", fastpixKey, fromBase64(signature), body);
  } catch {
    return false;
  }
}

function inRange(ip) {
  return typeof ip === "string" && ip.startsWith("92.223.123.");
}

const CF_STATES = { "live_input.connected": "connected", "live_input.disconnected": "disconnected", "live_input.errored": "errored" };

function normalize(provider, p) {
  if (provider === "cloudflare") {
    const d = p.data ?? {};
    const state = CF_STATES[d.event_type];
    return state && { kind: "live_input", id: d.input_id, state, at: d.updated_at, error: d.live_input_errored?.error };
  }
  if (provider === "fastpix") {
    const type = String(p.type ?? "");
    const state = type.split(".").pop();
    const kind = type.includes("simulcast_target") ? "simulcast_target" : "live_input";
    const id = kind === "simulcast_target" ? p.data?.simulcastId : p.data?.streamId ?? p.data?.id ?? p.object?.id;
    return id && { kind, id, state, at: p.created_at };
  }
  const m = p.message ?? {};
  if (p.type === "stream" && m.stream) return { kind: "live_input", id: String(m.stream.id), state: m.stream.live ? "live" : "disconnected" };
  if (p.type === "video" && m.video) return { kind: "video", id: String(m.video.id), state: m.video.status };
  if (p.type === "broadcast" && m.broadcast) return { kind: "broadcast", id: String(m.broadcast.id), state: m.broadcast.status };
  return null;
}

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const parts = url.pathname.split("/").filter(Boolean);
    if (req.method !== "POST" || parts[0] !== "webhooks") return json(404, { error: "not_found" });
    const provider = parts[1];
    const body = await req.arrayBuffer();
    if (provider === "cloudflare") {
      if (!equal(req.headers.get("cf-webhook-auth") ?? "", env.CF_WEBHOOK_SECRET)) return json(401, { error: "unauthorized" });
    } else if (provider === "fastpix") {
      const sig = req.headers.get("FastPix-Signature");
      if (!sig || !(await verifyFastpix(env, sig, body))) return json(401, { error: "unauthorized" });
    } else if (provider === "gcore") {
      if (!equal(parts[2] ?? "", env.GCORE_WEBHOOK_TOKEN)) return json(401, { error: "unauthorized" });
      if (!inRange(req.headers.get("CF-Connecting-IP"))) return json(403, { error: "forbidden" });
    } else {
      return json(404, { error: "not_found" });
    }
    let payload;
    try {
      payload = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return json(400, { error: "invalid_json" });
    }
    const ev = normalize(provider, payload);
    if (!ev || !ev.id) return json(200, { ok: true, outcome: "ignored" });
    const record = { provider, stream_id: ev.id, kind: ev.kind, state: ev.state, updated_at: ev.at ?? new Date().toISOString(), received_at: new Date().toISOString(), error: ev.error ?? null };
    await env.STREAM_STATUS.put(`status:${provider}:${ev.kind}:${ev.id}`, JSON.stringify(record), { metadata: { state: ev.state, kind: ev.kind } });
    return json(200, { ok: true, outcome: "applied" });
  },
};
