// Authentication, as livehook does it, with WebCrypto: shared secrets compared in constant time
// as SHA-256 digests (so not even their length leaks), HMAC-SHA256 signatures checked with
// `crypto.subtle.verify` (constant-time) under keys imported once per isolate, the
// `t=…,v1=…` signature headers of Mux and Cloudflare Stream, and IP networks for Gcore.
import { ApiError } from "./http.js";

const utf8 = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export const hex = (bytes) => {
  let out = "";
  for (const b of new Uint8Array(bytes)) out += HEX[b];
  return out;
};

/** Bytes of lower- or upper-case hex; `undefined` for anything else. */
export function unhex(s) {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard, padded base64 → bytes; `undefined` if it is not (`atob` alone would take more). */
export function fromBase64(s) {
  if (!BASE64.test(s)) return undefined;
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

export const toBase64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));

export const sha256 = async (data) => crypto.subtle.digest("SHA-256", typeof data === "string" ? utf8.encode(data) : data);

// ---- errors (livehook's AuthError: 401 missing/invalid, 403 not configured / sender refused) ----

export const notConfigured = (name) => new ApiError(403, "not_configured", `${name} is not configured on this worker`);
export const missing = (what) => new ApiError(401, "unauthorized", `missing ${what}`, { auth: "missing" });
export const invalid = (what) => new ApiError(401, "unauthorized", `invalid ${what}`, { auth: "invalid" });
export const ipNotAllowed = () => new ApiError(403, "forbidden", "sender address not allowed");

// ---- settings: a blank value is unset (fail closed); `NAME_NEXT` is accepted beside `NAME` ----

const set = (v) => (typeof v === "string" && v.trim() !== "" ? v : undefined);

/** The value of setting `name` (the current one, or its `_NEXT` value while rotating). */
export const setting = (env, name, next = false) => (next ? set(env[name]) && set(env[`${name}_NEXT`]) : set(env[name]));

/**
 * Runs `check(next)` with the current values, and, when it refuses a credential as invalid and
 * a `_NEXT` value of one of `names` is set, with the next values: either is accepted while a
 * secret is rotated. Any other refusal stands; the error is the current value's.
 */
export async function either(env, names, check) {
  try {
    await check(false);
  } catch (e) {
    if (e.auth !== "invalid" || !names.some((n) => setting(env, n, true))) throw e;
    try {
      await check(true);
    } catch {
      throw e;
    }
  }
}

// ---- constant-time comparison of shared secrets ----

const digests = new Map(); // secret → Promise<Uint8Array> of its SHA-256, once per isolate

/** `presented` against `secret` in constant time (their SHA-256 digests); throws `invalid(what)`. */
export async function expectSecret(presented, secret, what) {
  let want = digests.get(secret);
  if (!want) digests.set(secret, (want = sha256(secret).then((d) => new Uint8Array(d))));
  const [got, expected] = await Promise.all([sha256(presented), want]);
  if (!crypto.subtle.timingSafeEqual(new Uint8Array(got), expected)) throw invalid(what);
}

// ---- HMAC-SHA256 ----

const keys = new Map(); // raw key (string, or base64 for FastPix) → Promise<CryptoKey>

/** The HMAC key for `secret` (UTF-8, or `bytes` when given), imported once per isolate. */
export function hmacKey(secret, bytes = utf8.encode(secret)) {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    keys.set(secret, key);
  }
  return key;
}

/** Whether `signature` (bytes) is HMAC-SHA256(`key`, `data`), constant-time. */
export const hmacMatches = async (key, signature, data) => crypto.subtle.verify("HMAC", await key, signature, data);

/** The `key=value` pairs of a signature header (`t=…,v1=…,v1=…`), trimmed. */
export function headerPairs(header) {
  const pairs = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq >= 0) pairs.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return pairs;
}

/** `a` then `b` (the signed `"{time}."` prefix and the raw body), as one buffer. */
export function concat(a, b) {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(new Uint8Array(b), a.byteLength);
  return out;
}

/**
 * A `<time>=<unix s>,<sig>=<hex>[,<sig>=<hex>…]` header whose signatures are
 * HMAC-SHA256(secret, `"{time}.{raw body}"`), the time within `toleranceS` of now: Mux
 * (`t`, `v1`) and Cloudflare Stream (`time`, `sig1`). One matching signature is enough.
 */
export function timedSignature({ header, stale, timeKey, sigKey, toleranceS = 300 }) {
  return async function verify(secret, value, body, nowS) {
    if (value == null) throw missing(header);
    let time;
    const signatures = [];
    for (const [k, v] of headerPairs(value)) {
      if (k === timeKey) time = v;
      else if (k === sigKey) signatures.push(v);
    }
    if (time === undefined || !/^\d+$/.test(time) || time.length > 20) throw invalid(header);
    if (Math.abs(Number(time) - nowS) > toleranceS) throw invalid(stale);
    const key = hmacKey(secret);
    const data = concat(utf8.encode(`${time}.`), body);
    for (const sig of signatures) {
      const bytes = unhex(sig);
      if (bytes && (await hmacMatches(key, bytes, data))) return;
    }
    throw invalid(header);
  };
}

// ---- IP networks (Gcore's sender range) ----

function parseIPv4(s) {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseIPv6(s) {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const v4 = s.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    // A trailing dotted IPv4 address is the last two groups.
    const n = parseIPv4(v4[2]);
    if (n === undefined) return undefined;
    s = `${v4[1]}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const all = halves.length === 2 ? [...head, ...Array(8 - head.length - rest.length).fill("0"), ...rest] : head;
  if (all.length !== 8 || (halves.length === 2 && head.length + rest.length > 7)) return undefined;
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** `{v4, bits}` of an address (an IPv4-mapped IPv6 address is its IPv4 one); `undefined` if none. */
export function parseIp(s) {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { v4: true, bits: v4 };
  const v6 = parseIPv6(s);
  if (v6 === undefined) return undefined;
  return v6 >> 32n === 0xffffn ? { v4: true, bits: v6 & 0xffffffffn } : { v4: false, bits: v6 };
}

/** `a.b.c.d/n`, `x::y/n` or a bare address; an IPv4-mapped range (`::ffff:…/96+`) is its IPv4 range. */
export function parseCidr(s) {
  const [addr, prefix, extra] = s.trim().split("/");
  if (extra !== undefined) return undefined;
  const v4 = parseIPv4(addr);
  const v6 = v4 === undefined ? parseIPv6(addr) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  const max = v4 !== undefined ? 32 : 128;
  let bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits <= max)) return undefined;
  if (v6 !== undefined && bits >= 96 && v6 >> 32n === 0xffffn) return { v4: true, net: v6 & 0xffffffffn, bits: bits - 96 };
  return { v4: v4 !== undefined, net: v4 ?? v6, bits };
}

/** A comma-separated list; `undefined` if any entry is invalid (fail closed). */
export function parseCidrList(s) {
  const list = [];
  for (const part of s.split(",")) {
    if (part.trim() === "") continue;
    const c = parseCidr(part);
    if (!c) return undefined;
    list.push(c);
  }
  return list;
}

export function cidrContains(c, ip) {
  if (c.v4 !== ip.v4) return false;
  const width = c.v4 ? 32n : 128n;
  const shift = width - BigInt(c.bits);
  return c.net >> shift === ip.bits >> shift;
}
