// incident.io HTTP alert source (`POST /v2/alert_events/http/<alert source config id>`),
// standing in for api.incident.io. Documented shape: header `Authorization: Bearer <token>` (the
// source's token); JSON `title` (required), `status` firing | resolved (required),
// `description`, `deduplication_key`, `source_url` (a URL), `metadata` (an object) optional.
// Answers: 202 `{"status":"success","message":"Event accepted for processing",
// "deduplication_key":…}`; 401 for a missing or wrong token; 400 for an invalid event; 429 when
// rate-limited; 5xx when unavailable.
import { startStandIn, isObject, isText, unknownKeys, isHttpUrl, json } from "./stand-in.mjs";

const FIELDS = ["title", "description", "status", "deduplication_key", "metadata", "source_url"];

/** The problems of one alert event, sent with headers `headers`, for a source with `token`. */
export function incidentioProblems(e, headers, token) {
  const p = [];
  if (headers.authorization !== `Bearer ${token}`) p.push("Authorization is not Bearer <the source's token>");
  if (!isObject(e)) return [...p, "the event is not a JSON object"];
  p.push(...unknownKeys(e, FIELDS).map((k) => `unknown field ${k}`));
  if (!isText(e.title)) p.push("title is missing");
  if (!["firing", "resolved"].includes(e.status)) p.push(`status ${JSON.stringify(e.status)}`);
  if (e.description !== undefined && typeof e.description !== "string") p.push("description is not a string");
  if (e.deduplication_key !== undefined && !isText(e.deduplication_key)) p.push("deduplication_key is not a string");
  if (e.metadata !== undefined && !isObject(e.metadata)) p.push("metadata is not an object");
  if (e.source_url !== undefined && !isHttpUrl(e.source_url)) p.push("source_url is not a URL");
  return p;
}

/** A stand-in for one incident.io HTTP alert source (`sourceId`, `token`). */
export async function startIncidentIo({ sourceId = "01HZX3K9Q2W4E6R8T0Y1U3I5O7", token, respond } = {}) {
  return startStandIn({
    name: "incidentio",
    path: `/v2/alert_events/http/${sourceId}`,
    maxBytes: 512 * 1024,
    respond,
    check: (hit, e) => incidentioProblems(e, hit.headers, token),
    answer(status, { hit, json: e }) {
      const authorized = hit.headers.authorization === `Bearer ${token}`;
      switch (status ?? (authorized ? 202 : 401)) {
        case 202:
          return json(202, { status: "success", message: "Event accepted for processing", deduplication_key: e?.deduplication_key ?? "" });
        case 401:
          return json(401, { type: "authentication_error", status: 401, errors: [{ code: "authentication_error", message: "Invalid API key" }] });
        case 400:
          return json(400, { type: "validation_error", status: 400, errors: [{ code: "invalid_value", message: "The alert event is invalid" }] });
        case 429:
          return json(429, { type: "rate_limited", status: 429, errors: [{ code: "rate_limited", message: "Too many requests" }] });
        default:
          return { status, body: "" };
      }
    },
  });
}
