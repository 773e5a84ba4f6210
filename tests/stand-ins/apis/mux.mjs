// Stands in for Mux Video's live-stream listing, as Mux's API reference documents it:
// - `GET /video/v1/live-streams` with optional `limit` (items per page, default 25), `page`
//   (from 1, default 1), `stream_key` and `status` (`active`, `idle`, `disabled`: a filter),
//   answering `{ data: [{ id, status, stream_key, meta: { title }, … }] }`. Mux gives no total:
//   a page shorter than `limit` is the last. The reference gives no largest `limit`; this
//   stand-in accepts up to `maxLimit` (100, livehook's page size).
// - HTTP Basic with an access token's id and secret. Errors are `{ error: { type, messages } }`
//   (401: `unauthorized`, "Unauthorized request").
//
// livehook's states map to `status`: `live`/`connected` → `active`, `idle` and `disconnected` →
// `idle` (Mux has no disconnected status: a stream goes back to idle), `disabled` → `disabled`;
// any other value is sent as the status itself. `name` is `meta.title`; `wire` is merged in.
import { authProblem, basic, extend, generate, intIn, json, oneOf, pageOf, queryProblems, startApiStandIn } from "./api-stand-in.mjs";

const STATUS = { live: "active", connected: "active", idle: "idle", disconnected: "idle", disabled: "disabled" };
const ERRORS = {
  400: "invalid_parameters",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  429: "too_many_requests",
};
const MESSAGES = { 401: "Unauthorized request", 429: "Too many requests" };

/** A valid Mux live stream id for input `i`. */
export const muxId = (i) => `ls${i.toString(36).padStart(10, "0")}Mux01`;

export async function startMux({ tokenId = "mux-test-id", tokenSecret = "mux-test-secret", maxLimit = 100, respond } = {}) {
  let streams = [];
  const wire = (s) => ({
    id: s.id,
    created_at: "1609869152",
    status: STATUS[s.state] ?? s.state,
    stream_key: `streamkey-${s.id}`,
    playback_ids: [{ policy: "public", id: `pb${s.id}` }],
    reconnect_window: 60,
    latency_mode: "standard",
    max_continuous_duration: 43200,
    ...(s.name === undefined ? {} : { meta: { title: s.name } }),
    ...s.wire,
  });

  const stand = await startApiStandIn({
    name: "mux",
    respond,
    authorize: (req) => {
      const problem = authProblem(req.rawHeaders, basic(tokenId, tokenSecret), "Basic base64(MUX_TOKEN_ID:MUX_TOKEN_SECRET)");
      return problem && { problem };
    },
    handle(req) {
      if (req.route !== "/video/v1/live-streams") return { status: 404, problems: [`path ${req.path} is not /video/v1/live-streams`] };
      if (req.method !== "GET") return { status: 404, problems: [`method ${req.method}, not GET`] };
      const problems = queryProblems(req, {
        limit: intIn(1, maxLimit),
        page: intIn(1),
        stream_key: () => undefined,
        status: oneOf("active", "idle", "disabled"),
      });
      if (problems.length) return { status: 400, problems };
      const limit = Number(req.query.limit ?? 25);
      const number = Number(req.query.page ?? 1);
      const { status, stream_key: key } = req.query;
      const all = status || key ? streams.filter((s) => { const w = wire(s); return (!status || w.status === status) && (!key || w.stream_key === key); }) : streams;
      const { slice, problems: past } = pageOf(all, number, limit, Math.floor(all.length / limit) + 1);
      return { problems: past, body: { data: slice.map(wire) }, page: { number, size: slice.length, last: slice.length < limit } };
    },
    error: (status) => json(status, { error: { type: ERRORS[status] ?? "internal_error", messages: [MESSAGES[status] ?? "Request failed"] } }),
  });

  return extend(stand, {
    env: { MUX_API_BASE: stand.base, MUX_TOKEN_ID: tokenId, MUX_TOKEN_SECRET: tokenSecret },
    /** Replaces the environment's live streams (`[{ id, name, state, wire? }]`). */
    setStreams(list) { streams = list; },
    get streams() { return streams; },
    generate: (n, options) => generate(n, muxId, options),
  });
}
