// Slack, an incoming webhook (`POST /services/T…/B…/<secret>`), standing in for
// hooks.slack.com. Documented shape: JSON `text` (the notification fallback) and `blocks` (Block
// Kit: at most 50; a `header`'s `plain_text` at most 150 characters; a `section` at most 10
// `fields`, each text at most 2 000 characters; a `context` at most 10 elements). Answers: 200
// `ok` as text/plain; 400 `invalid_blocks` / `invalid_payload`; 429 when rate-limited.
import { startStandIn, isObject, isText, chars } from "./stand-in.mjs";

function blockProblems(b, i) {
  const where = `blocks[${i}]`;
  if (!isObject(b)) return [`${where} is not an object`];
  const text = (t) => isObject(t) && ["plain_text", "mrkdwn"].includes(t.type) && typeof t.text === "string";
  switch (b.type) {
    case "header":
      return b.text?.type === "plain_text" && isText(b.text.text) && chars(b.text.text) <= 150 ? [] : [`${where}: a header is plain_text of 1 to 150 characters`];
    case "section": {
      const p = [];
      if (b.fields !== undefined && (!Array.isArray(b.fields) || b.fields.length > 10)) p.push(`${where}: more than 10 fields`);
      for (const [j, f] of (b.fields ?? []).entries()) if (!text(f) || chars(f.text) > 2000 || chars(f.text) < 1) p.push(`${where}.fields[${j}] is not a text object of 1 to 2000 characters`);
      if (b.text !== undefined && (!text(b.text) || chars(b.text.text) > 3000)) p.push(`${where}.text is not a text object of at most 3000 characters`);
      if (b.text === undefined && !b.fields?.length) p.push(`${where}: a section without text or fields`);
      return p;
    }
    case "context":
      return Array.isArray(b.elements) && b.elements.length >= 1 && b.elements.length <= 10 && b.elements.every(text) ? [] : [`${where}: a context is 1 to 10 text elements`];
    default:
      return [`${where}: a block type this stand-in does not know: ${b.type}`];
  }
}

/** A stand-in for one Slack incoming webhook. */
export async function startSlack({ respond } = {}) {
  return startStandIn({
    name: "slack",
    path: "/services/T0PAGING/B0PAGING/SLACKHOOKSECRET",
    respond,
    check(_hit, m) {
      if (!isObject(m)) return ["the body is not a JSON object"];
      const p = [];
      if (!isText(m.text)) p.push("no text fallback");
      if (m.blocks !== undefined) {
        if (!Array.isArray(m.blocks) || m.blocks.length > 50) p.push("blocks is not a list of at most 50");
        else m.blocks.forEach((b, i) => p.push(...blockProblems(b, i)));
      }
      return p;
    },
    answer(status) {
      const code = status ?? 200;
      const body = { 200: "ok", 400: "invalid_blocks", 429: "rate_limited" }[code] ?? "";
      return { status: code, headers: { "Content-Type": "text/plain" }, body };
    },
  });
}
