// Stands in for Livepeer Studio's stream listing (base `/api`), as its API reference documents it:
// - `GET /stream` with one documented query parameter, `streamsonly`, answering a JSON array of
//   streams `{ id, name, kind, isActive, suspended, streamKey, playbackId, parentId?, … }`. Without
//   `streamsonly` the array also holds each live stream's session objects (a `parentId` names their
//   stream). The reference documents no page, cursor or limit: one answer lists the account.
// - `Authorization: Bearer <api key>`. Errors are `{ errors: [message] }`.
//
// livehook's states map to `isActive`: `live`/`connected` → true, anything else → false;
// `disabled` → `suspended: true`. `name` is `name`; `wire` is merged in.
import { authProblem, extend, generate, json, oneOf, queryProblems, startApiStandIn } from "./api-stand-in.mjs";

const MESSAGES = { 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 429: "Too many requests" };
const isLive = (s) => s.state === "live" || s.state === "connected";

/** A valid Livepeer stream id (a UUID) for input `i`. */
export const livepeerId = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

export async function startLivepeer({ apiKey = "livepeer-test-key", respond } = {}) {
  let streams = [];
  const wire = (s) => ({
    id: s.id,
    name: s.name,
    kind: "stream",
    isActive: isLive(s),
    suspended: s.state === "disabled",
    streamKey: `streamkey-${s.id}`,
    playbackId: `pb-${s.id}`,
    createdAt: 1587667174725,
    lastSeen: 1587667174725,
    record: false,
    ...s.wire,
  });
  const session = (s) => ({ ...wire(s), id: `session-${s.id}`, parentId: s.id });

  const stand = await startApiStandIn({
    name: "livepeer",
    basePath: "/api",
    respond,
    authorize: (req) => {
      const problem = authProblem(req.rawHeaders, `Bearer ${apiKey}`, "Bearer <LIVEPEER_API_KEY>");
      return problem && { problem };
    },
    handle(req) {
      if (req.route !== "/stream") return { status: 404, problems: [`path ${req.path} is not /api/stream`] };
      if (req.method !== "GET") return { status: 404, problems: [`method ${req.method}, not GET`] };
      const problems = queryProblems(req, { streamsonly: oneOf("1", "true") });
      if (problems.length) return { status: 400, problems };
      const body = streams.map(wire);
      if (!req.query.streamsonly) body.push(...streams.filter(isLive).map(session));
      return { body, page: { number: 1, size: body.length, last: true } };
    },
    error: (status) => json(status, { errors: [MESSAGES[status] ?? "Internal server error"] }),
  });

  return extend(stand, {
    env: { LIVEPEER_API_BASE: stand.base, LIVEPEER_API_KEY: apiKey },
    /** Replaces the account's streams (`[{ id, name, state, wire? }]`). */
    setStreams(list) { streams = list; },
    get streams() { return streams; },
    generate: (n, options) => generate(n, livepeerId, options),
  });
}
