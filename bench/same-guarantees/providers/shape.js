// What every provider shares: reading a body as JSON, the 400s a body gets (messages name
// fields and positions, never payload values), typed field access with serde's rules (absent or
// null is "not sent", a wrong type is a refusal), and what a body turns out to be:
//   { event }                         one event
//   { event, also }                   an event and one for another stream it tells about
//   { ignored: {eventType, reason, stream?} }   a message livehook does not track (a 200)
//   { test: true }                    the provider's connectivity check (a 200, nothing stored)
import { ApiError } from "../http.js";
import { validStreamId, streamKey } from "../event.js";
import { parseRfc3339 } from "../time.js";

const invalidPayload = (message) => new ApiError(400, "invalid_payload", message);

export const shapeError = (provider, detail) => invalidPayload(`JSON does not match the ${provider} payload: ${detail}`);
export const missingField = (provider, field) => shapeError(provider, `missing field \`${field}\``);
export const invalidId = (field) => invalidPayload(`${field} is not a valid stream id (1-255 chars of A-Z a-z 0-9 . _ ~ : -)`);
export const invalidTime = (field) => invalidPayload(`${field} is not an RFC 3339 time`);

const utf8 = new TextDecoder("utf-8", { fatal: true });
const BLANK = /^[ \t\n\r\f]*$/;

/** The body as JSON: `empty_body` if blank, `invalid_json` if not JSON (position only). */
export function readJson(body) {
  let text;
  try {
    text = utf8.decode(body);
  } catch {
    throw new ApiError(400, "invalid_json", "body is not valid UTF-8 JSON");
  }
  if (BLANK.test(text)) throw new ApiError(400, "empty_body", "empty body");
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the error: keep only its position.
    const at = /line (\d+) column (\d+)/.exec(e.message);
    throw new ApiError(400, "invalid_json", at ? `body is not valid JSON (line ${at[1]}, column ${at[2]})` : "body is not valid JSON");
  }
}

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Typed access to one provider's payload, with serde's rules: `opt*` returns `undefined` for an
 * absent or null field, `req*` refuses it as missing, and a value of the wrong type is refused.
 */
export function fields(provider) {
  const wrong = (name) => shapeError(provider, `wrong type or value of \`${name}\``);
  const check = (v, name, ok) => {
    if (v === undefined || v === null) return undefined;
    if (!ok(v)) throw wrong(name);
    return v;
  };
  const need = (v, name) => {
    if (v === undefined) throw missingField(provider, name);
    if (v === null) throw wrong(name);
    return v;
  };
  const f = {
    /** The top-level object (any other JSON value is refused). */
    root: (v) => {
      if (!isObject(v)) throw shapeError(provider, "wrong type or value at line 1, column 1");
      return v;
    },
    obj: (o, k) => check(o?.[k], k, isObject),
    str: (o, k) => check(o?.[k], k, (v) => typeof v === "string"),
    bool: (o, k) => check(o?.[k], k, (v) => typeof v === "boolean"),
    num: (o, k) => check(o?.[k], k, (v) => typeof v === "number"),
    /** A non-negative integer (serde's u64). */
    uint: (o, k) => check(o?.[k], k, (v) => Number.isSafeInteger(v) && v >= 0),
    /** An id sent as a non-negative integer or a string (Gcore's). */
    id: (o, k) => {
      const v = check(o?.[k], k, (x) => typeof x === "string" || (Number.isSafeInteger(x) && x >= 0));
      return v === undefined ? undefined : String(v);
    },
    strs: (o, k) => check(o?.[k], k, (v) => Array.isArray(v) && v.every((s) => typeof s === "string")) ?? [],
    reqStr: (o, k) => need(f.str(o, k) ?? o?.[k], k),
    reqObj: (o, k) => need(f.obj(o, k) ?? o?.[k], k),
    reqBool: (o, k) => need(f.bool(o, k) ?? o?.[k], k),
    reqUint: (o, k) => need(f.uint(o, k) ?? o?.[k], k),
    reqId: (o, k) => need(f.id(o, k) ?? o?.[k], k),
  };
  return f;
}

/** The stream `{provider}:{kind}:{id}`, or a 400 naming `field` if the id is not one livehook keeps. */
export function stream(provider, kind, id, field) {
  if (!validStreamId(id)) throw invalidId(field);
  return { provider, kind, id, key: streamKey(provider, kind, id) };
}

/** The same, or `undefined` (for an ignored message that may still name a stream). */
export const maybeStream = (provider, kind, id) => (validStreamId(id) ? stream(provider, kind, id) : undefined);

/** A provider's RFC 3339 time in nanoseconds, or a 400 naming `field`. */
export function providerTime(value, field) {
  const ns = parseRfc3339(value);
  if (ns === undefined) throw invalidTime(field);
  return ns;
}

/** A message of a known provider that livehook does not track. */
export const ignored = (eventType, reason, stream) => ({ ignored: { eventType, reason, stream } });

/** The event for `s` with the fields every event has; `more` adds or overrides the rest. */
export const event = (s, more) => ({
  provider: s.provider,
  kind: s.kind,
  id: s.id,
  key: s.key,
  timeSource: "provider",
  ...more,
});
