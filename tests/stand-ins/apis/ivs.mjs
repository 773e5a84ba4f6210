// Stands in for Amazon IVS's ListStreams, as the IVS API reference documents it:
// - `POST /ListStreams`, no query, `Content-Type: application/json`, body `{ filterBy?: { health },
//   maxResults?: 1 to 100 (default 100), nextToken?: up to 1024 of [a-zA-Z0-9+/=_-] }`, answering
//   `{ streams: [{ channelArn, streamId, state, health, startTime, viewerCount }], nextToken? }`.
//   It lists the region's live streams only: a channel that is not live is in no page. `nextToken`
//   is present while more remain; an unknown token is a `ValidationException`.
// - Signed with AWS Signature Version 4 for service `ivs` in the configured region. The stand-in
//   recomputes the canonical request and string to sign from what it received and the secret
//   key it was given (`verifySigV4`), and answers as AWS does: 403 with `x-amzn-ErrorType`
//   `InvalidSignatureException` (mismatch, or `x-amz-date` more than 5 minutes off),
//   `UnrecognizedClientException` (unknown access key id) or `MissingAuthenticationTokenException`,
//   and a body `{ message }`.
//
// livehook's states: `live`/`connected` → listed `LIVE`, `HEALTHY`; `STARVING`/`UNKNOWN` → listed
// `LIVE` with that health; `OFFLINE` → listed `OFFLINE` (the reference warns it may appear);
// anything else → not listed. An input's `id` is the channel ARN; `wire` is merged in.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { extend, generate, json, startApiStandIn } from "./api-stand-in.mjs";

const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();
/** RFC 3986 encoding of everything but `A-Z a-z 0-9 - _ . ~`, upper-case hex, per UTF-8 byte. */
const encode = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const decode = (s) => { try { return decodeURIComponent(s); } catch { return s; } };

/**
 * Checks a request's SigV4 signature independently of any signer: `req` is `{ method, path (as
 * sent, before `?`), search (`?…` or ""), headers (lower-case names; a repeated header as the
 * array of its values), body (Buffer or string) }`; `keys` is `{ accessKeyId, secretAccessKey, region, service, now (ms), maxSkewMs }`.
 * Returns `{ ok: true }` or `{ ok: false, kind, problem }` (no credential in `problem`).
 */
export function verifySigV4(req, { accessKeyId, secretAccessKey, region, service, now = Date.now(), maxSkewMs = 5 * 60_000 }) {
  const fail = (kind, problem) => ({ ok: false, kind, problem });
  const auth = req.headers.authorization;
  if (auth === undefined) return fail("MissingAuthenticationTokenException", "no authorization header (expected AWS4-HMAC-SHA256)");
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return fail("IncompleteSignatureException", "authorization is not AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=<64 hex>");
  const [keyId, date, scopeRegion, scopeService, terminal, ...extra] = m[1].split("/");
  const signed = m[2].split(";");
  if (keyId !== accessKeyId) return fail("UnrecognizedClientException", "the access key id is not the configured one");
  const amzDate = req.headers["x-amz-date"];
  if (!/^\d{8}T\d{6}Z$/.test(amzDate ?? "")) return fail("IncompleteSignatureException", "x-amz-date is missing or not YYYYMMDDTHHMMSSZ");
  if (extra.length || terminal !== "aws4_request" || date !== amzDate.slice(0, 8) || scopeRegion !== region || scopeService !== service) {
    return fail("InvalidSignatureException", `the credential scope is not <date of x-amz-date>/${region}/${service}/aws4_request`);
  }
  const time = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
  if (!(Math.abs(now - time) <= maxSkewMs)) return fail("InvalidSignatureException", `x-amz-date is more than ${maxSkewMs / 60_000} minutes from the stand-in's clock (signature expired)`);
  const sorted = [...signed].sort();
  if (signed.join(";") !== sorted.join(";") || signed.some((h) => h !== h.toLowerCase())) return fail("InvalidSignatureException", "SignedHeaders is not lower-case and sorted");
  for (const must of ["host", "x-amz-date"]) if (!signed.includes(must)) return fail("InvalidSignatureException", `${must} is not a signed header`);
  // AWS's canonical headers must hold `host`, `content-type` when present, and every `x-amz-*`
  // header the request carries.
  for (const h of Object.keys(req.headers)) {
    if ((h.startsWith("x-amz-") || h === "content-type") && !signed.includes(h)) return fail("InvalidSignatureException", `${h} is sent but not signed`);
  }
  const missing = signed.find((h) => req.headers[h] === undefined);
  if (missing) return fail("InvalidSignatureException", `signed header ${missing} is not in the request`);
  const bodyHash = sha256(req.body ?? "");
  const declared = req.headers["x-amz-content-sha256"];
  if (declared !== undefined && declared !== bodyHash) return fail("InvalidSignatureException", "x-amz-content-sha256 is not the SHA-256 of the body");

  const canonical = [
    req.method,
    canonicalUri(req.path),
    canonicalQuery(req.search),
    ...signed.map((h) => `${h}:${[].concat(req.headers[h]).map((v) => String(v).trim().replace(/\s+/g, " ")).join(",")}`),
    "",
    signed.join(";"),
    bodyHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4${secretAccessKey}`, date);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part);
  const expected = hmac(key, toSign);
  if (!timingSafeEqual(expected, Buffer.from(m[3], "hex"))) {
    return fail("InvalidSignatureException", "the signature does not match the canonical request and string to sign recomputed from the request");
  }
  return { ok: true, canonical, toSign };
}

/** The path normalized (no empty, `.` or `..` segments) with each segment encoded once more. */
function canonicalUri(path) {
  const segments = [];
  for (const s of path.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") segments.pop();
    else segments.push(encode(s));
  }
  const out = `/${segments.join("/")}`;
  return segments.length && path.endsWith("/") ? `${out}/` : out;
}

/** The query decoded, re-encoded and sorted by name, then value. */
function canonicalQuery(search) {
  const raw = search.startsWith("?") ? search.slice(1) : search;
  if (!raw) return "";
  const pairs = raw.split("&").map((p) => {
    const i = p.indexOf("=");
    const [k, v] = i < 0 ? [p, ""] : [p.slice(0, i), p.slice(i + 1)];
    return [encode(decode(k)), encode(decode(v))];
  });
  const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  pairs.sort(([a, x], [b, y]) => order(a, b) || order(x, y));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

const MESSAGES = {
  InvalidSignatureException:
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
  UnrecognizedClientException: "The security token included in the request is invalid.",
  MissingAuthenticationTokenException: "Missing Authentication Token",
  IncompleteSignatureException: "The request signature does not conform to AWS standards.",
};
const BY_STATUS = {
  400: "ValidationException",
  401: "UnrecognizedClientException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  429: "ThrottlingException",
  503: "ServiceUnavailableException",
};
/** livehook's or IVS's state → [state, health] of a listed stream; other states are not listed. */
const LISTED = {
  live: ["LIVE", "HEALTHY"],
  connected: ["LIVE", "HEALTHY"],
  STARVING: ["LIVE", "STARVING"],
  UNKNOWN: ["LIVE", "UNKNOWN"],
  OFFLINE: ["OFFLINE", "UNKNOWN"],
};
const TOKEN = /^[a-zA-Z0-9+/=_-]{0,1024}$/;

/** The problems of a ListStreams body (parsed JSON, or undefined when it is not JSON). */
function bodyProblems(body) {
  if (body === undefined) return ["body is not JSON"];
  if (body === null || typeof body !== "object" || Array.isArray(body)) return ["body is not a JSON object"];
  const found = Object.keys(body).filter((k) => !["filterBy", "maxResults", "nextToken"].includes(k)).map((k) => `body field ${k} is not documented`);
  const { maxResults: max, nextToken: token, filterBy: filter } = body;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 100)) found.push("maxResults is not an integer from 1 to 100");
  if (token !== undefined && !(typeof token === "string" && TOKEN.test(token))) found.push("nextToken is not a string of up to 1024 [a-zA-Z0-9+/=_-]");
  if (filter !== undefined && !["HEALTHY", "STARVING", "UNKNOWN"].includes(filter?.health)) found.push("filterBy is not { health: HEALTHY | STARVING | UNKNOWN }");
  return found;
}

/** A valid channel ARN for input `i` in `region`. */
export const ivsArn = (i, region = "us-west-2") => `arn:aws:ivs:${region}:123456789012:channel/ch${i.toString(36).padStart(10, "0")}`;

export async function startIvs({
  accessKeyId = "AKIDSTANDIN",
  secretAccessKey = "ivs-test-secret-access-key",
  region = "us-west-2",
  pageSize = 100,
  maxSkewMs = 5 * 60_000,
  now = () => Date.now(),
  respond,
} = {}) {
  let streams = [];
  // Tokens this stand-in gave, to the offset they continue from.
  const tokens = new Map();
  const wire = (s) => {
    const [state, health] = LISTED[s.state];
    const streamId = `st-${s.id.split("/").pop()}`;
    return { channelArn: s.id, streamId, state, health, startTime: "2026-01-01T00:00:00Z", viewerCount: 0, ...s.wire };
  };

  const stand = await startApiStandIn({
    name: "ivs",
    respond,
    authStatus: 403,
    authorize(req) {
      const q = req.target.indexOf("?");
      const [path, search] = q < 0 ? [req.target, ""] : [req.target.slice(0, q), req.target.slice(q)];
      const headers = Object.fromEntries(Object.entries(req.rawHeadersDistinct).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
      const keys = { accessKeyId, secretAccessKey, region, service: "ivs", now: now(), maxSkewMs };
      const v = verifySigV4({ method: req.method, path, search, headers, body: req.rawBody }, keys);
      return v.ok ? undefined : { problem: v.problem, kind: v.kind, status: v.kind === "IncompleteSignatureException" ? 400 : 403 };
    },
    handle(req) {
      if (req.route !== "/ListStreams") return { status: 404, problems: [`path ${req.path} is not /ListStreams`] };
      const problems = [];
      if (req.method !== "POST") problems.push(`method ${req.method}, not POST`);
      if (req.search) problems.push("ListStreams takes no query parameters");
      const type = req.rawHeaders["content-type"];
      if (!/^application\/json\b/i.test(type ?? "")) problems.push(`content-type ${type}, not application/json`);
      let body;
      try {
        body = JSON.parse(req.body);
      } catch {}
      problems.push(...bodyProblems(body));
      if (problems.length) return { status: 400, problems };
      let from = 0;
      if (body.nextToken) {
        if (!tokens.has(body.nextToken)) return { status: 400, problems: ["nextToken is not one this stand-in gave"] };
        from = tokens.get(body.nextToken);
      }
      const health = body.filterBy?.health;
      const live = streams.filter((s) => LISTED[s.state] && (!health || LISTED[s.state][1] === health));
      const size = Math.min(body.maxResults ?? 100, pageSize);
      const slice = live.slice(from, from + size);
      const more = from + size < live.length;
      let nextToken;
      if (more) {
        nextToken = Buffer.from(`page-${tokens.size + 1}-from-${from + size}`).toString("base64");
        tokens.set(nextToken, from + size);
      }
      const answer = { streams: slice.map(wire), ...(more ? { nextToken } : {}) };
      return { body: answer, page: { number: Math.floor(from / size) + 1, size: slice.length, last: !more } };
    },
    error(status, { kind } = {}) {
      const type = kind ?? BY_STATUS[status] ?? "InternalServerException";
      const message = MESSAGES[type] ?? (status === 429 ? "Rate exceeded" : `Request failed (${type})`);
      return json(status, { message }, { "x-amzn-ErrorType": type });
    },
  });

  return extend(stand, {
    env: { IVS_API_BASE: stand.base, IVS_AWS_ACCESS_KEY_ID: accessKeyId, IVS_AWS_SECRET_ACCESS_KEY: secretAccessKey, IVS_REGION: region },
    /** Replaces the region's channels (`[{ id: channel ARN, state, wire? }]`); a listing under
     * way goes on from the same position in the new list. */
    setStreams(list) { streams = list; },
    get streams() { return streams; },
    generate: (n, options) => generate(n, (i) => ivsArn(i, region), options),
  });
}
