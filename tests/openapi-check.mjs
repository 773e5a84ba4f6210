// Checks answers against the OpenAPI document (board/openapi.json): the route (method + path
// template), the status, the documented headers and the body (ajv, JSON Schema 2020-12). The
// miniflare specs get it through tests/helpers.mjs, so every answer they receive is checked;
// tests/openapi.test.mjs proves the check fails when it should. `OPENAPI_TRACE=<file>` appends
// `METHOD template status` per checked answer (`sort <file> | uniq -c`: which answers the specs
// exercise).
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { readFileSync, appendFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const DOCUMENT_PATH = path.join(root, "board/openapi.json");
export const openapi = JSON.parse(readFileSync(DOCUMENT_PATH, "utf8"));

/** How many answers (and live-feed messages) this process checked, and what failed in messages. */
export const stats = { responses: 0, messages: 0 };
export const messageProblems = [];

const DOC = "openapi.json";
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
addFormats(ajv);
// The document's own fields are not JSON Schema keywords: known, never validated.
ajv.addVocabulary(["openapi", "info", "servers", "paths", "components", "tags", "security", "webhooks", "externalDocs"]);
ajv.addSchema(openapi, DOC);

const pointer = (parts) => "#/" + parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

/** The object a local `$ref` names (followed until it is not a reference). */
function deref(obj) {
  while (obj && typeof obj.$ref === "string") {
    obj = obj.$ref
      .slice(2)
      .split("/")
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"))
      .reduce((o, k) => o?.[k], openapi);
  }
  return obj;
}

const validators = new Map();
/** The compiled schema at `at` (a JSON pointer into the document), cached. */
export function schemaAt(at) {
  let v = validators.get(at);
  if (!v) {
    v = ajv.getSchema(DOC + at);
    if (!v) throw new Error(`openapi: no schema at ${at}`);
    validators.set(at, v);
  }
  return v;
}

export const METHODS = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];

/** Path templates, the most literal first (`/alerts/live` before `/alerts/{id}`). */
const templates = Object.entries(openapi.paths)
  .map(([template, item]) => {
    const segments = template.split("/").slice(1);
    const pathParams = new Map();
    const ops = METHODS.map((m) => item[m]).filter(Boolean);
    for (const p of [item.parameters ?? [], ...ops.map((o) => o.parameters ?? [])].flat().map(deref)) {
      if (p.in === "path") pathParams.set(p.name, p.schema);
    }
    return { template, item, segments, pathParams, literals: segments.filter((s) => !s.startsWith("{")).length };
  })
  .sort((a, b) => b.literals - a.literals);

/** The methods a path item lists (HEAD aside: a GET route answers it too), sorted. */
export function documentedMethods(item) {
  return METHODS.filter((m) => m !== "head" && item[m]).map((m) => m.toUpperCase()).sort();
}

/** A path served by Workers static assets (its operations are the `board` tag's), not the worker. */
function isStatic(item) {
  return METHODS.filter((m) => item[m]).every((m) => item[m].tags?.includes("board"));
}

/**
 * The template `pathname` (raw, percent-encoded: the worker splits it as it comes) matches: the
 * same segments, literals equal, and a path parameter's `pattern` (the worker's routing shape,
 * e.g. `our_id` in src/http/routes.rs) satisfied.
 */
export function matchPath(pathname) {
  const segments = pathname.split("/").slice(1);
  for (const t of templates) {
    if (t.segments.length !== segments.length) continue;
    const ok = t.segments.every((s, i) => {
      if (!s.startsWith("{")) return s === segments[i];
      const pattern = deref(t.pathParams.get(s.slice(1, -1)))?.pattern;
      return pattern === undefined || new RegExp(pattern, "u").test(segments[i]);
    });
    if (ok) return t;
  }
  return null;
}

function fail(where, reason, text) {
  const excerpt = text === undefined ? "" : `\n  body: ${text.length > 600 ? text.slice(0, 600) + "…" : text}`;
  return new Error(`openapi: ${where}: ${reason}${excerpt}`);
}

const ajvErrors = (errors) =>
  (errors ?? []).map((e) => `\n  - ${e.instancePath || "(body)"} ${e.message}${e.params && Object.keys(e.params).length ? " " + JSON.stringify(e.params) : ""}`).join("");

/**
 * Throws unless the answer is one the document describes. `headers` is a `Headers` (or
 * anything with `get`); `text` the body as received (ignored for 101 and HEAD).
 */
export function checkResponse({ method, path: requestPath, status, headers, text = "" }) {
  method = method.toUpperCase();
  const url = new URL(requestPath, "http://localhost");
  const where = `${method} ${requestPath} → ${status}`;
  const t = matchPath(url.pathname);
  let response, at;
  if (!t) {
    // No route: the worker's 404.
    if (status !== 404) throw fail(where, `the path matches no route in the document, so it must be a 404 (not_found)`, text);
    at = pointer(["components", "responses", "NotFound"]);
    response = openapi.components.responses.NotFound;
  } else {
    const m = method === "HEAD" && !t.item.head ? "get" : method.toLowerCase();
    const op = t.item[m];
    if (!op) {
      // A method the path does not list: 405 with `Allow` naming exactly the ones it does.
      if (status !== 405) throw fail(where, `${t.template} documents no ${method}, so it must be a 405 with Allow`, text);
      const documented = documentedMethods(t.item);
      const allow = headers?.get("allow");
      if (allow === null || allow === undefined) throw fail(where, "header Allow is documented as required and is missing", text);
      const listed = allow.split(",").map((s) => s.trim()).filter((s) => s !== "HEAD").sort();
      if (listed.join() !== documented.join()) throw fail(where, `header Allow: ${JSON.stringify(allow)} does not match the methods ${t.template} documents (${documented.join(", ")})`, text);
      const name = isStatic(t.item) ? "AssetMethodNotAllowed" : "MethodNotAllowed";
      at = pointer(["components", "responses", name]);
      response = openapi.components.responses[name];
    } else {
      response = op.responses[String(status)];
      if (!response) {
        throw fail(where, `${method} ${t.template} documents ${Object.keys(op.responses).join(", ")}, not ${status}`, text);
      }
      at = pointer(["paths", t.template, m, "responses", String(status)]);
      if (response.$ref) {
        at = response.$ref;
        response = deref(response);
      }
    }
  }
  for (const [name, h] of Object.entries(response.headers ?? {})) {
    const value = headers?.get(name) ?? null;
    if (value === null) {
      if (h.required) throw fail(where, `header ${name} is documented as required and is missing`, text);
      continue;
    }
    const v = schemaAt(`${at}/headers/${pointer([name]).slice(2)}/schema`);
    if (!v(value)) throw fail(where, `header ${name}: ${JSON.stringify(value)} does not match${ajvErrors(v.errors)}`);
  }
  if (status !== 101 && method !== "HEAD") {
    const contentType = (headers?.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    const content = response.content;
    if (!content) {
      if (text !== "") throw fail(where, "the document gives this answer no body", text);
    } else {
      const media = content[contentType];
      if (!media) throw fail(where, `Content-Type ${JSON.stringify(contentType)} is not one of ${Object.keys(content).join(", ")}`, text);
      let body = text;
      if (contentType === "application/json") {
        try {
          body = JSON.parse(text);
        } catch {
          throw fail(where, "the body is not JSON", text);
        }
      }
      if (media.schema) {
        const v = schemaAt(`${at}/content/${pointer([contentType]).slice(2)}/schema`);
        if (!v(body)) throw fail(where, `the body does not match ${t ? `${method} ${t.template}` : "the NotFound answer"} ${status}:${ajvErrors(v.errors)}`, text);
      }
    }
  }
}

/** The live feed's messages (`x-livehook-messages` of `GET /alerts/live`): `pong`, or JSON that matches. */
const liveSchema = pointer(["paths", "/alerts/live", "get", "x-livehook-messages"]);
export function checkLiveMessage(data) {
  const text = String(data);
  if (text !== "pong") {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      throw new Error(`openapi: live feed message is not JSON (nor pong): ${text}`);
    }
    const v = schemaAt(liveSchema);
    if (!v(msg)) throw new Error(`openapi: live feed message does not match LiveMessage:${ajvErrors(v.errors)}\n  message: ${text.slice(0, 600)}`);
  }
}

/**
 * Checks a worker's `Response` to `method path` (reading a clone of its body), and watches the
 * messages of a WebSocket it opens; throws as `checkResponse` does.
 */
export async function checkWorkerResponse(method, requestPath, res) {
  const noBody = res.status === 101 || method.toUpperCase() === "HEAD";
  const text = noBody ? "" : await res.clone().text();
  checkResponse({ method, path: requestPath, status: res.status, headers: res.headers, text });
  stats.responses += 1;
  if (process.env.OPENAPI_TRACE) {
    const template = matchPath(new URL(requestPath, "http://localhost").pathname)?.template ?? "(no route)";
    appendFileSync(process.env.OPENAPI_TRACE, `${method.toUpperCase()} ${template} ${res.status}\n`);
  }
  if (res.webSocket) {
    res.webSocket.addEventListener("message", (e) => {
      try {
        checkLiveMessage(e.data);
        stats.messages += 1;
      } catch (err) {
        messageProblems.push(err);
      }
    });
  }
}
