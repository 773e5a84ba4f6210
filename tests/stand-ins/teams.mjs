// Microsoft Teams, a Workflows webhook ("Post to a channel when a webhook request is
// received"), standing in for its prod-NN.<region>.logic.azure.com trigger URL, whose `sig=`
// query parameter is the credential. Documented shape: `{"type":"message","attachments":[{
// "contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null?,"content":<an
// Adaptive Card>}]}`; the card `{"type":"AdaptiveCard","version":"1.4","body":[…],"actions"?}`
// with elements of the schema (TextBlock: `text` required, `color` Default | Dark | Light |
// Accent | Good | Warning | Attention, `size`, `weight`, booleans `wrap`, `isSubtle`; FactSet:
// `facts` of `{title, value}` strings; Action.OpenUrl: `title`, `url`). A Teams message is at
// most 28 KB. Answers: 202 with an empty body; 400 for a body it cannot read; 401 for a wrong
// signature; 429 when throttled; 5xx when unavailable.
import { startStandIn, isObject, isText, unknownKeys, isHttpUrl } from "./stand-in.mjs";

const COLORS = ["Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"];
const SIZES = ["Default", "Small", "Medium", "Large", "ExtraLarge"];
const WEIGHTS = ["Default", "Lighter", "Bolder"];
const COMMON = ["type", "id", "spacing", "separator", "isVisible", "height", "fallback", "requires"];
const ELEMENTS = {
  TextBlock: [...COMMON, "text", "color", "size", "weight", "wrap", "isSubtle", "maxLines", "horizontalAlignment", "fontType", "style"],
  FactSet: [...COMMON, "facts"],
};

function elementProblems(el, where) {
  if (!isObject(el) || !ELEMENTS[el.type]) return [`${where} is not a TextBlock or a FactSet (${JSON.stringify(el?.type)})`];
  const p = unknownKeys(el, ELEMENTS[el.type]).map((k) => `${where}: unknown property ${k}`);
  if (el.type === "TextBlock") {
    if (!isText(el.text)) p.push(`${where}: a TextBlock without text`);
    if (el.color !== undefined && !COLORS.includes(el.color)) p.push(`${where}: color ${el.color}`);
    if (el.size !== undefined && !SIZES.includes(el.size)) p.push(`${where}: size ${el.size}`);
    if (el.weight !== undefined && !WEIGHTS.includes(el.weight)) p.push(`${where}: weight ${el.weight}`);
    for (const k of ["wrap", "isSubtle"]) if (el[k] !== undefined && typeof el[k] !== "boolean") p.push(`${where}: ${k} is not a boolean`);
  } else {
    if (!Array.isArray(el.facts) || el.facts.length === 0) p.push(`${where}: a FactSet without facts`);
    for (const [i, f] of (Array.isArray(el.facts) ? el.facts : []).entries()) {
      if (!isObject(f) || unknownKeys(f, ["title", "value"]).length || typeof f.title !== "string" || typeof f.value !== "string") {
        p.push(`${where}.facts[${i}] is not {title, value} strings`);
      }
    }
  }
  return p;
}

/** The problems of one Workflows webhook message. */
export function teamsProblems(m) {
  if (!isObject(m)) return ["the body is not a JSON object"];
  const p = unknownKeys(m, ["type", "attachments"]).map((k) => `unknown field ${k}`);
  if (m.type !== "message") p.push(`type ${JSON.stringify(m.type)}, not message`);
  if (!Array.isArray(m.attachments) || m.attachments.length === 0) return [...p, "no attachments"];
  for (const [i, a] of m.attachments.entries()) {
    const where = `attachments[${i}]`;
    if (!isObject(a)) { p.push(`${where} is not an object`); continue; }
    p.push(...unknownKeys(a, ["contentType", "contentUrl", "content"]).map((k) => `${where}: unknown field ${k}`));
    if (a.contentType !== "application/vnd.microsoft.card.adaptive") p.push(`${where}.contentType ${a.contentType}`);
    if (a.contentUrl !== undefined && a.contentUrl !== null) p.push(`${where}.contentUrl is not null`);
    const c = a.content;
    if (!isObject(c)) { p.push(`${where}.content is not an object`); continue; }
    p.push(...unknownKeys(c, ["$schema", "type", "version", "body", "actions", "msteams", "fallbackText"]).map((k) => `card: unknown property ${k}`));
    if (c.type !== "AdaptiveCard") p.push(`card type ${c.type}`);
    if (c.version !== "1.4") p.push(`card version ${JSON.stringify(c.version)}, not "1.4"`);
    if (c.$schema !== undefined && c.$schema !== "http://adaptivecards.io/schemas/adaptive-card.json") p.push(`card $schema ${c.$schema}`);
    if (!Array.isArray(c.body) || c.body.length === 0) { p.push("card without a body"); continue; }
    c.body.forEach((el, j) => p.push(...elementProblems(el, `body[${j}]`)));
    if (c.actions !== undefined) {
      if (!Array.isArray(c.actions)) p.push("actions is not a list");
      for (const [j, act] of (Array.isArray(c.actions) ? c.actions : []).entries()) {
        if (!isObject(act) || act.type !== "Action.OpenUrl" || !isText(act.title) || !isHttpUrl(act.url)) p.push(`actions[${j}] is not an Action.OpenUrl with a title and a URL`);
      }
    }
  }
  return p;
}

/** A stand-in for one Teams Workflows webhook whose URL carries `sig`. */
export async function startTeams({ sig, respond } = {}) {
  const path = `/workflows/4f1c0de2a9b84b0e/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`;
  const s = await startStandIn({
    name: "teams",
    path,
    maxBytes: 28 * 1024,
    respond,
    check: (_hit, m) => teamsProblems(m),
    answer(status, { hit }) {
      const signed = hit.path === path;
      const code = status ?? (signed ? 202 : 401);
      if (code === 401) return { status: 401, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ error: { code: "DirectApiAuthorizationRequired", message: "The request must be authenticated" } }) };
      if (code === 400) return { status: 400, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ error: { code: "InvalidRequestContent", message: "The request content is not valid" } }) };
      return { status: code, body: "" };
    },
  });
  /** The cards received, in order. */
  const cards = () => s.requests.map((r) => r.json?.attachments?.[0]?.content);
  return { ...s, cards };
}
