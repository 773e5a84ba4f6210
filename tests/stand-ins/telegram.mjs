// Telegram Bot API `sendMessage` (`POST /bot<token>/sendMessage`), standing in for
// api.telegram.org. Documented shape: JSON `chat_id` (an integer or `@channelname`, as a number or
// a string), `text` (1 to 4 096 characters after entities parsing), `parse_mode` (HTML here),
// `link_preview_options` (`is_disabled` a boolean). HTML mode: only the tags b, strong, i, em, u,
// ins, s, strike, del, span class="tg-spoiler", tg-spoiler, a href, tg-emoji, code, pre,
// blockquote, properly nested; every `<`, `>` and `&` that is not part of a tag or an entity is
// escaped; the named entities are `&lt; &gt; &amp; &quot;` only (numeric ones also work).
// Answers: 200 `{"ok":true,"result":<the Message>}`; 400 `{"ok":false,"error_code":400,
// "description":"Bad Request: can't parse entities: …"}`; 401 for a wrong token; 429
// `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after N",
// "parameters":{"retry_after":N}}` with no Retry-After header.
import { startStandIn, isObject, unknownKeys, json } from "./stand-in.mjs";

const FIELDS = ["chat_id", "text", "parse_mode", "link_preview_options", "disable_notification", "protect_content", "message_thread_id", "reply_markup"];
/** Tag name → the attributes it may carry. */
const TAGS = {
  b: [], strong: [], i: [], em: [], u: [], ins: [], s: [], strike: [], del: [],
  span: ["class"], "tg-spoiler": [], a: ["href"], "tg-emoji": ["emoji-id"], code: ["class"], pre: [], blockquote: ["expandable"],
};
const ENTITIES = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * Parses Telegram HTML as the Bot API does: `{ problems, text }`, `text` being what the reader
 * sees (tags dropped, entities decoded).
 */
export function parseTelegramHtml(html) {
  const problems = [];
  const stack = [];
  let text = "";
  const token = /<(\/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[A-Za-z-]+(?:="[^"<>]*")?)*)\s*>|&(?:#(\d+)|#x([0-9A-Fa-f]+)|([A-Za-z]+));|([<>&])|([^<>&]+)/g;
  let m;
  while ((m = token.exec(html))) {
    const [whole, closing, rawName, attrs, dec, hex, named, bare, plain] = m;
    if (plain !== undefined) text += plain;
    else if (bare !== undefined) problems.push(`an unescaped ${bare} at ${m.index}: ${JSON.stringify(html.slice(Math.max(0, m.index - 20), m.index + 20))}`);
    else if (dec !== undefined) text += String.fromCodePoint(Number(dec));
    else if (hex !== undefined) text += String.fromCodePoint(parseInt(hex, 16));
    else if (named !== undefined) {
      if (ENTITIES[named] === undefined) problems.push(`an unsupported entity &${named};`);
      else text += ENTITIES[named];
    } else {
      const name = rawName.toLowerCase();
      if (!(name in TAGS)) {
        problems.push(`a tag Telegram does not support: ${whole}`);
        continue;
      }
      if (closing) {
        if (attrs.trim()) problems.push(`a closing tag with attributes: ${whole}`);
        if (stack.pop() !== name) problems.push(`${whole} closes a tag that is not open`);
        continue;
      }
      const names = [...attrs.matchAll(/([A-Za-z-]+)(?:="([^"]*)")?/g)];
      for (const [, a, v] of names) {
        if (!TAGS[name].includes(a)) problems.push(`<${name}> with an attribute ${a}`);
        if (v !== undefined && /&(?!(lt|gt|amp|quot|#\d+|#x[0-9A-Fa-f]+);)/.test(v)) problems.push(`an unescaped & in <${name} ${a}>`);
      }
      if (name === "a" && !names.some(([, a]) => a === "href")) problems.push("<a> without href");
      if (name === "span" && !/class="tg-spoiler"/.test(attrs)) problems.push('<span> without class="tg-spoiler"');
      if (["code", "pre"].includes(stack.at(-1)) && !(stack.at(-1) === "pre" && name === "code")) problems.push(`<${name}> inside <${stack.at(-1)}>`);
      stack.push(name);
    }
  }
  if (stack.length) problems.push(`tags left open: ${stack.join(", ")}`);
  return { problems, text };
}

/** The problems of one `sendMessage` request to a bot whose chat is `chatId`. */
export function telegramProblems(body, chatId) {
  if (!isObject(body)) return ["the body is not a JSON object"];
  const p = unknownKeys(body, FIELDS).map((k) => `unknown field ${k}`);
  if (String(body.chat_id) !== String(chatId)) p.push(`chat_id ${JSON.stringify(body.chat_id)}, not ${chatId}`);
  if (!["string", "number"].includes(typeof body.chat_id)) p.push("chat_id is not a string or a number");
  if (body.parse_mode !== "HTML") p.push(`parse_mode ${JSON.stringify(body.parse_mode)}, not HTML`);
  const lp = body.link_preview_options;
  if (lp !== undefined && (!isObject(lp) || unknownKeys(lp, ["is_disabled", "url", "prefer_small_media", "prefer_large_media", "show_above_text"]).length || typeof lp.is_disabled !== "boolean")) {
    p.push("link_preview_options is not {is_disabled: boolean}");
  }
  if (typeof body.text !== "string") return [...p, "text is not a string"];
  const parsed = parseTelegramHtml(body.text);
  p.push(...parsed.problems.map((x) => `text: ${x}`));
  const n = parsed.text.trim().length; // UTF-16 code units, as Telegram counts
  if (n < 1 || n > 4096) p.push(`text of ${n} characters after entities parsing, not 1 to 4096`);
  return p;
}

/** A stand-in for one bot (`token`) posting to `chatId`. */
export async function startTelegram({ token, chatId, respond } = {}) {
  let messageId = 0;
  return startStandIn({
    name: "telegram",
    path: `/bot${token}/sendMessage`,
    maxBytes: 64 * 1024,
    respond,
    check: (_hit, body) => telegramProblems(body, chatId),
    answer(status, { hit, json: body, problems, options }) {
      const ownBot = hit.path === `/bot${token}/sendMessage`;
      switch (status ?? (ownBot ? 200 : 401)) {
        case 200:
          messageId += 1;
          return json(200, { ok: true, result: { message_id: messageId, chat: { id: Number(chatId), type: "supergroup" }, date: Math.floor(Date.now() / 1000), text: parseTelegramHtml(body.text).text } });
        case 400:
          return json(400, { ok: false, error_code: 400, description: `Bad Request: can't parse entities: ${problems[0] ?? "unsupported start tag"}` });
        case 401:
          return json(401, { ok: false, error_code: 401, description: "Unauthorized" });
        case 429: {
          const after = options.retryAfter ?? 1;
          return json(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${after}`, parameters: { retry_after: after } });
        }
        default:
          return json(status, { ok: false, error_code: status, description: "Internal Server Error" });
      }
    },
  });
}
