// Stands in for FastPix's live-stream listing (base `/v1`), as FastPix's API reference and SDKs
// document it:
// - `GET /live/streams` with optional `limit` (1 to 50, default 10), `offset` (the page number,
//   from 1, default 1) and `orderBy` (`asc`, `desc`), answering `{ success, data: [{ streamId,
//   streamKey, srtSecret, status, metadata, … }], pagination: { totalRecords, currentOffset,
//   offsetCount } }`, `offsetCount` being the number of pages at this `limit`.
// - HTTP Basic with an access token's id and secret key. Errors are `{ success: false, error:
//   { code, message, description } }`.
//
// livehook's states map to `status`: `live`/`connected` → `active`, `idle` and `disconnected` →
// `idle`, `disabled` → `disabled`; any other value (`preparing`) is sent as the status itself.
// `name` is `metadata.livestream_name`; `wire` is merged in. `maxLimit` (50, as documented) can be
// raised for a client that is known to ask for more.
import { authProblem, basic, extend, generate, intIn, json, oneOf, pageOf, queryProblems, startApiStandIn } from "./api-stand-in.mjs";

const STATUS = { live: "active", connected: "active", idle: "idle", disconnected: "idle", disabled: "disabled" };
const MESSAGES = { 400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found", 429: "too many requests" };

/** A valid FastPix stream id (32 hex digits) for input `i`. */
export const fastpixId = (i) => `f${i.toString(16).padStart(31, "0")}`;

export async function startFastpix({ tokenId = "fastpix-test-id", tokenSecret = "fastpix-test-secret", maxLimit = 50, respond } = {}) {
  let streams = [];
  const wire = (s) => ({
    streamId: s.id,
    streamKey: `streamkey-${s.id}`,
    srtSecret: `streamkey-srt-${s.id}`,
    trial: false,
    status: STATUS[s.state] ?? s.state,
    maxResolution: "1080p",
    maxDuration: 28800,
    createdAt: "2024-10-15T08:48:31.551351Z",
    reconnectWindow: 60,
    enableRecording: true,
    mediaPolicy: "public",
    metadata: s.name === undefined ? {} : { livestream_name: s.name },
    lowLatency: false,
    playbackIds: [{ id: `pb-${s.id}`, accessPolicy: "public" }],
    ...s.wire,
  });

  const stand = await startApiStandIn({
    name: "fastpix",
    basePath: "/v1",
    respond,
    authorize: (req) => {
      const problem = authProblem(req.rawHeaders, basic(tokenId, tokenSecret), "Basic base64(FASTPIX_TOKEN_ID:FASTPIX_TOKEN_SECRET)");
      return problem && { problem };
    },
    handle(req) {
      if (req.route !== "/live/streams") return { status: 404, problems: [`path ${req.path} is not /v1/live/streams`] };
      if (req.method !== "GET") return { status: 404, problems: [`method ${req.method}, not GET`] };
      const problems = queryProblems(req, { limit: intIn(1, maxLimit), offset: intIn(1), orderBy: oneOf("asc", "desc") });
      if (problems.length) return { status: 400, problems };
      const limit = Number(req.query.limit ?? 10);
      const number = Number(req.query.offset ?? 1);
      const pages = Math.ceil(streams.length / limit);
      const ordered = req.query.orderBy === "asc" ? streams : [...streams].reverse();
      const { slice, problems: past } = pageOf(ordered, number, limit, Math.max(1, pages));
      const body = { success: true, data: slice.map(wire), pagination: { totalRecords: streams.length, currentOffset: number, offsetCount: pages } };
      return { problems: past, body, page: { number, size: slice.length, last: number >= pages } };
    },
    error: (status) => json(status, { success: false, error: { code: status, message: MESSAGES[status] ?? "internal server error", description: "The request could not be completed." } }),
  });

  return extend(stand, {
    env: { FASTPIX_API_BASE: stand.base, FASTPIX_TOKEN_ID: tokenId, FASTPIX_TOKEN_SECRET: tokenSecret },
    /** Replaces the workspace's live streams (`[{ id, name, state, wire? }]`), newest last
     * (`orderBy=desc`, the default, lists the newest first). */
    setStreams(list) { streams = list; },
    get streams() { return streams; },
    generate: (n, options) => generate(n, fastpixId, options),
  });
}
