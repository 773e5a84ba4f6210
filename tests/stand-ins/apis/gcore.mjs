// Stands in for Gcore Streaming Platform's live-stream listing, as Gcore's API reference
// documents it:
// - `GET /streaming/streams` with optional `page` (from 1) and `with_broadcasts`, answering a JSON
//   array of streams `{ id (integer), name, active, live, backup_live, push_url, … }`. Gcore
//   documents no page size and no total: the stand-in serves `pageSize` (25) a page and a client
//   reads pages until one comes back empty.
// - `Authorization: APIKey <token>`. Errors are `{ exception_class, message, request_id }`; a
//   missing header is 401 "Authentication credentials were not provided." (the class names here
//   are illustrative).
//
// livehook's states map to `live`/`backup_live`: `live`/`connected` → `live: true`, `backup` →
// `backup_live: true` only, `disabled` → `active: false` and not live, anything else → neither.
// An id of digits is sent as an integer; `name` is `name`; `wire` is merged in.
import { authProblem, extend, generate, intIn, json, oneOf, pageOf, queryProblems, startApiStandIn } from "./api-stand-in.mjs";

const CLASSES = { 400: "ValidationError", 401: "NotAuthenticated", 403: "PermissionDenied", 404: "NotFoundError", 429: "Throttled" };

/** A valid Gcore stream id (an integer) for input `i`. */
export const gcoreId = (i) => String(1_000_000 + i);

export async function startGcore({ apiKey = "12345$gcore-test-key", pageSize = 25, respond } = {}) {
  let streams = [];
  const wire = (s) => ({
    id: /^\d+$/.test(String(s.id)) ? Number(s.id) : s.id,
    name: s.name,
    active: s.state !== "disabled",
    live: s.state === "live" || s.state === "connected",
    backup_live: s.state === "backup",
    pull: false,
    push_url: `rtmp://vp-push.example.gvideo.co/in/${s.id}?streamkey-${s.id}`,
    created_at: "2023-10-01T00:01:01.000Z",
    ...s.wire,
  });

  const stand = await startApiStandIn({
    name: "gcore",
    respond,
    authorize: (req) => {
      const problem = authProblem(req.rawHeaders, `APIKey ${apiKey}`, "APIKey <GCORE_API_KEY>");
      return problem && { problem, kind: req.rawHeaders.authorization === undefined ? "missing" : "invalid" };
    },
    handle(req) {
      if (req.route !== "/streaming/streams") return { status: 404, problems: [`path ${req.path} is not /streaming/streams`] };
      if (req.method !== "GET") return { status: 404, problems: [`method ${req.method}, not GET`] };
      const problems = queryProblems(req, { page: intIn(1), with_broadcasts: oneOf("true", "false", "1", "0") });
      if (problems.length) return { status: 400, problems };
      const number = Number(req.query.page ?? 1);
      const { slice, problems: past } = pageOf(streams, number, pageSize, Math.ceil(streams.length / pageSize) + 1);
      return { problems: past, body: slice.map(wire), page: { number, size: slice.length, last: slice.length === 0 } };
    },
    error(status, { kind } = {}) {
      const message = status === 401 ? (kind === "missing" ? "Authentication credentials were not provided." : "Invalid token.") : `Request failed with status ${status}`;
      return json(status, { exception_class: CLASSES[status] ?? "InternalError", message, request_id: "0123456789abcdef0123456789abcdef" });
    },
  });

  return extend(stand, {
    env: { GCORE_API_BASE: stand.base, GCORE_API_KEY: apiKey },
    /** Replaces the account's live streams (`[{ id, name, state, wire? }]`). */
    setStreams(list) { streams = list; },
    get streams() { return streams; },
    generate: (n, options) => generate(n, gcoreId, options),
  });
}
