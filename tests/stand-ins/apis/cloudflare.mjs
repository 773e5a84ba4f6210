// Stands in for Cloudflare Stream's live-input API (base `/client/v4`), as its API reference
// documents it:
// - `GET /accounts/{account_id}/stream/live_inputs` (only query parameter: `include_counts`)
//   answers the v4 envelope `{ success, errors, messages, result: { liveInputs: [{ uid, meta,
//   created, modified, enabled, deleteRecordingAfterDays }], range, total } }`. The reference
//   documents no page, cursor or limit parameter, so every input is in the one answer.
// - `GET /accounts/{account_id}/stream/live_inputs/{uid}` (no query) answers one input with its
//   credentials (`rtmps.streamKey`, `srt.passphrase`) and `status`: `null` for an input that has no
//   connection status, else `{ current: { state, reason, statusEnteredAt, statusLastSeen },
//   history }` (or the state string itself, which the reference's schema also shows:
//   `statusAs: "string"`).
// - `Authorization: Bearer <token>` (a token with Stream Read). Errors are the envelope with
//   `success: false` and `errors: [{ code, message }]`: 10000 "Authentication error" (401/403),
//   971 for throttling (429), 7000/7003 for an unknown route or identifier; other codes here are
//   placeholders in Cloudflare's range.
//
// livehook's states map to `status.current.state`: `live`/`connected` → `connected`,
// `disconnected` → `client_disconnect`, `idle` → no status (`null`), `disabled` → `enabled: false`
// and no status, `null` → no status; any other value (`reconnecting`, `ttl_exceeded`, …) is sent as
// the state itself. An input's `wire` object is merged into both answers (edge cases).
import { authProblem, extend, generate, json, oneOf, queryProblems, segment, startApiStandIn } from "./api-stand-in.mjs";

const STATE = { live: "connected", connected: "connected", disconnected: "client_disconnect" };
const NO_STATUS = new Set(["idle", "disabled", null, undefined]);
const T0 = "2024-07-09T18:00:00Z";

const ERRORS = {
  400: [10005, "Bad request"],
  401: [10000, "Authentication error"],
  403: [10000, "Authentication error"],
  404: [7003, "Could not route to the object, perhaps your object identifier is invalid?"],
  405: [10000, "Method not allowed"],
  429: [971, "Please wait and consider throttling your request speed"],
};

/** A valid Cloudflare uid (32 hex digits) for input `i`. */
export const cloudflareId = (i) => i.toString(16).padStart(32, "0");

export async function startCloudflare({ token = "cf-test-token", accountId = "023e105f4ecef8ad9ca31a8372d0c353", statusAs = "object", respond } = {}) {
  let streams = [];
  let byId = new Map();
  const root = `/accounts/${accountId}/stream/live_inputs`;

  const listed = (s) => ({
    uid: s.id,
    created: T0,
    modified: T0,
    meta: s.name === undefined ? {} : { name: s.name },
    enabled: s.state !== "disabled",
    deleteRecordingAfterDays: null,
    ...s.wire,
  });
  const status = (state) => {
    if (NO_STATUS.has(state)) return null;
    const value = STATE[state] ?? state;
    if (statusAs === "string") return value;
    const current = { reason: value, state: value, statusEnteredAt: T0, statusLastSeen: T0 };
    return { current, history: [current] };
  };
  const detailed = (s) => ({
    ...listed(s),
    rtmps: { url: "rtmps://live.cloudflare.com:443/live/", streamKey: `streamkey-${s.id}` },
    srt: { url: "srt://live.cloudflare.com:778", streamId: s.id, passphrase: `streamkey-srt-${s.id}` },
    recording: { mode: "automatic", requireSignedURLs: false, allowedOrigins: null, timeoutSeconds: 0 },
    status: status(s.state),
    ...s.wire,
  });
  const envelope = (result) => ({ success: true, errors: [], messages: [], result });

  const stand = await startApiStandIn({
    name: "cloudflare",
    basePath: "/client/v4",
    respond,
    authorize: (req) => {
      const problem = authProblem(req.rawHeaders, `Bearer ${token}`, "Bearer <CF_API_TOKEN>");
      return problem && { problem };
    },
    handle(req) {
      if (req.method !== "GET") return { status: 405, problems: [`method ${req.method}, not GET`] };
      if (req.route === root) {
        const problems = queryProblems(req, { include_counts: oneOf("true", "false") });
        const result = { liveInputs: streams.map(listed), range: 0, total: streams.length };
        return { problems, body: envelope(result), page: { number: 1, size: streams.length, last: true } };
      }
      if (req.route?.startsWith(`${root}/`) && !req.route.slice(root.length + 1).includes("/")) {
        const problems = queryProblems(req, {});
        const s = byId.get(segment(req.route.slice(root.length + 1)));
        // An input deleted since the listing is a 404, not a mistake of the client.
        if (!s) return { status: 404, problems };
        return { problems, body: envelope(detailed(s)) };
      }
      return { status: 404, problems: [`path ${req.path} is not /client/v4${root}[/{uid}]`] };
    },
    error(status) {
      const [code, message] = ERRORS[status] ?? [10002, "Internal error"];
      return json(status, { success: false, errors: [{ code, message }], messages: [], result: null });
    },
  });

  return extend(stand, {
    /** Settings for livehook. */
    env: { CF_API_BASE: stand.base, CF_API_TOKEN: token, CF_ACCOUNT_ID: accountId },
    /** Replaces the account's inputs (`[{ id, name, state, wire? }]`); per-input answers come from
     * a Map, so 10 000 inputs cost one pass here and a lookup per request. */
    setStreams(list) {
      streams = list;
      byId = new Map(list.map((s) => [s.id, s]));
    },
    get streams() { return streams; },
    /** `n` inputs with valid uids (see `generate` in api-stand-in.mjs for the options). */
    generate: (n, options) => generate(n, cloudflareId, options),
    /** Per-input requests answered (any status), by uid. */
    inputRequests: () => stand.requests.filter((r) => r.route?.startsWith(`${root}/`)),
  });
}
