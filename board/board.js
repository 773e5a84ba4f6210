// livehook's status board. Reads the API with the token kept in sessionStorage (never in the
// URL), lists the unresolved incidents from GET /incidents and every stream from GET /streams,
// and follows GET /alerts/live (a WebSocket) for state changes, alerts and incident changes.
// Every provider-supplied string is put in the page as text (textContent / text nodes), never
// as HTML.

const TOKEN_KEY = "livehook.token";
const PAGE = 100;
const SHOW = 1000; // rows drawn at a time: filters and search still cover every stream
const CATCH_UP_MS = 1500; // after the feed opens: livehook_core::live::LIVE_RECHECK_MS and a margin
const INCIDENT_PAGES = 25; // per state: 5 000 unresolved incidents at most, 200 a page
const INCIDENTS_SHOW = 50; // incident rows drawn at a time; the rest a click away
const LOAD_FAILED = "Could not load the incidents: ";
const FROM_API = "corrected from the provider's API"; // a state whose last_event is "reconcile"
const STATES = ["live", "connected", "errored", "disconnected", "idle", "created", "paused",
  "finished", "processing", "viewable", "ready", "disabled", "deleted"];

const $ = (id) => document.getElementById(id);
const streams = new Map(); // "provider:kind:id" → { record, version, row, sort }
const order = []; // [sort key, stream], sorted: the list's order (only matching rows are in it)
let token = sessionStorage.getItem(TOKEN_KEY);
let socket = null;
let selected = null;
let reconnectDelay = 1000;
let showing = SHOW;
const incidents = new Map(); // incident id → { incident, at }: the unresolved ones
const resolvedIds = new Set(); // seen resolved: a list read in flight never brings them back
const incidentRows = new Map(); // incident id → its <li>
let incidentsShowing = INCIDENTS_SHOW;
let incidentsLoaded = false;

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return node;
}

class Unauthorized extends Error {}

async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    cache: "no-store",
  });
  if (res.status === 401) throw new Unauthorized();
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message || `HTTP ${res.status}`), { status: res.status });
  return body;
}

const keyOf = (r) => `${r.provider}:${r.kind}:${r.stream_id}`;
const streamPath = (r) => `/streams/${encodeURIComponent(r.provider)}/${encodeURIComponent(r.stream_id)}`;

function ago(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A time as the reader's locale writes it, with the exact RFC 3339 value on hover. */
function when(iso) {
  const t = Date.parse(iso);
  const text = Number.isNaN(t) ? iso : new Date(t).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
  return el("time", { datetime: iso, title: iso }, text);
}

/** A length of time as `12 s`, `4 m 12 s`, `3 h 5 m` or `2 d 4 h`. */
function lasting(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** A duration that runs from `fromMs` (the quarter-second tick at the end keeps it current). */
const running = (fromMs) => el("span", { class: "duration", "data-from": fromMs }, lasting(Date.now() - fromMs));

// Made once: `toLocaleString` with options makes a formatter per call (10 000 row labels).
const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const DATE_AND_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

/** A time of day (with the date when not today) as text. */
function clockText(iso) {
  const t = new Date(Date.parse(iso));
  if (Number.isNaN(t.getTime())) return iso;
  const today = t.toDateString() === new Date().toDateString();
  return (today ? TIME_OF_DAY : DATE_AND_TIME).format(t);
}

/** A time of day (with the date when not today), the exact RFC 3339 value on hover. */
function clock(iso) {
  return el("time", { datetime: iso, title: Number.isNaN(Date.parse(iso)) ? null : iso }, clockText(iso));
}

const badge = (state) => el("span", { class: `badge s-${state}` }, state ?? "—");

/** What is wrong with a stream: its error's code and hint, else a warning in force. */
function problem(r) {
  if (r.error) return [el("b", {}, r.error.code), " ", r.error.hint];
  if (r.warning) return [el("b", { class: "warn" }, `⚠ ${r.warning.code}`), " ", r.warning.message];
  return null;
}

/** Self-hosted media servers: their hooks are all there is (no API to ask). */
const SELF_HOSTED = new Set(["srs", "nginx-rtmp", "ovenmediaengine", "mediamtx"]);

/** Who confirmed a record's state at its `verified_at`: a provider's API, or (nginx-rtmp) the
 * server's heartbeat. */
const verifier = (r) => (SELF_HOSTED.has(r.provider) ? "the server's heartbeat" : "the provider's API");

/** A state that came from a provider's API (a correction, or a stream no webhook told of). */
const fromApi = (r) => r.last_event === "reconcile";

/** The mark on such a state: visible text, its meaning on hover and for screen readers. */
const apiMark = () => el("span", { class: "via-api", title: `State ${FROM_API}: no webhook reported it.` }, "from API");

/** "verified N min ago", kept current by the 15-second tick (nothing when never verified). */
const verified = (r) => r.verified_at
  ? el("span", { class: "since verified", "data-at": r.verified_at, "data-prefix": "verified ",
    title: `${verifier(r)} confirmed this state at ${r.verified_at}` }, `verified ${ago(r.verified_at)}`)
  : null;

function rowContent(r) {
  return [
    el("span", { class: "state-cell" }, badge(r.state), r.recording ? el("span", { class: "rec", title: "recording" }, "REC") : null,
      fromApi(r) ? apiMark() : null),
    el("span", { class: "id-cell" }, el("span", { class: "id" }, r.stream_id), r.name ? el("span", { class: "name" }, r.name) : null),
    el("span", { class: "where" }, `${r.provider} · ${r.kind.replace("_", " ")}`),
    el("span", { class: "when-cell" },
      el("span", { class: "since", title: `last change ${r.updated_at}`, "data-at": r.updated_at }, ago(r.updated_at)),
      verified(r)),
    el("span", { class: "problem" }, problem(r)),
  ];
}

/** What a screen reader says for a row (the row's button has this label). */
function rowLabel(r) {
  const parts = [r.stream_id, `${r.provider} ${r.kind.replace("_", " ")}`, r.state];
  if (fromApi(r)) parts.push(FROM_API);
  if (r.verified_at) parts.push(`verified by ${verifier(r)} at ${clockText(r.verified_at)}`);
  return parts.join(", ");
}

function matches(r) {
  const provider = $("provider").value;
  const state = $("state").value;
  const q = $("search").value.trim().toLowerCase();
  return (!provider || r.provider === provider) && (!state || r.state === state) &&
    (!q || r.stream_id.toLowerCase().includes(q) || (r.name ?? "").toLowerCase().includes(q));
}

/** Adds or updates a stream; a live change older than what is shown is ignored. `live`
 * changes are put on the page at once; loaded pages wait for `render()`. */
function upsert(record, version = 0, live = false) {
  const key = keyOf(record);
  let s = streams.get(key);
  if (s && version && s.version >= version) return;
  // From the list (no version): never older than what the feed already showed. A confirmation
  // by an API moves `verified_at` alone, so the same event with a later one is newer.
  if (s && !version && s.record && !newerFromList(record, s.record)) return;
  if (!s) {
    const button = el("button", { type: "button", class: "row", onclick: () => openDetails(key) });
    s = { row: el("li", { "data-key": key }, button) };
    streams.set(key, s);
    place(s, sortKey(record));
  } else if (s.sort !== sortKey(record)) {
    order.splice(position(s.sort), 1);
    s.row.remove();
    place(s, sortKey(record));
  }
  s.record = record;
  s.version = version || s.version || 0;
  const button = s.row.firstChild;
  button.replaceChildren(...rowContent(record));
  button.setAttribute("aria-label", rowLabel(record));
  if (live) showRow(s);
  if (live) {
    button.classList.remove("changed");
    void button.offsetWidth; // restart the highlight
    button.classList.add("changed");
    if (selected === key) showRecord(record);
  }
  addOption($("provider"), record.provider);
}

/** Is a listed record newer than the one shown: a later event, or the same one verified later? */
function newerFromList(listed, shown) {
  const a = Date.parse(listed.received_at);
  const b = Date.parse(shown.received_at);
  if (a !== b) return a > b;
  return Date.parse(listed.verified_at ?? "") > Date.parse(shown.verified_at ?? "");
}

/** Errored streams first, then by provider and id: a live change lands where a reload would. */
const sortKey = (r) => `${r.state === "errored" ? 0 : 1}\u0000${r.provider}\u0000${r.stream_id}`;

/** Where `key` is, or would go, in `order` (binary search). */
function position(key) {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order[mid][0] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Puts a stream at its place in the order. */
function place(s, key) {
  order.splice(position(key), 0, [key, s]);
  s.sort = key;
}

/** Shows or hides one row where it belongs (a live change), leaving the others alone. */
function showRow(s) {
  const list = $("streams");
  if (!matches(s.record)) {
    s.row.remove();
    return;
  }
  if (s.row.isConnected) return;
  // The next row in the order that is on the page.
  for (let i = position(s.sort) + 1; i < order.length; i++) {
    const next = order[i][1].row;
    if (next.isConnected) return list.insertBefore(s.row, next);
  }
  list.append(s.row);
}

/** The list as the filters say: the first `showing` matching rows are in the page, the rest
 * a click away (hiding thousands of rows one by one costs the browser seconds; replacing the
 * list with the ones to show costs milliseconds). */
function render() {
  const rows = document.createDocumentFragment();
  let matching = 0;
  for (const [, s] of order) {
    if (!matches(s.record)) continue;
    if (matching < showing) rows.append(s.row);
    matching++;
  }
  $("streams").replaceChildren(rows);
  $("empty").hidden = matching > 0 || streams.size === 0;
  const more = $("more");
  more.hidden = matching <= showing;
  more.textContent = `Show ${Math.min(SHOW, matching - showing)} more (${matching - showing} not shown)`;
  renderCounts();
}

function addOption(select, value) {
  if (![...select.options].some((o) => o.value === value)) select.append(el("option", { value }, value));
}

function renderCounts() {
  const counts = new Map();
  for (const s of streams.values()) counts.set(s.record.state, (counts.get(s.record.state) ?? 0) + 1);
  const active = $("state").value;
  const chips = [el("button", { type: "button", class: "count", "aria-pressed": String(!active), onclick: () => setState("") }, "all ", el("b", {}, streams.size))];
  for (const st of STATES) {
    if (!counts.has(st)) continue;
    chips.push(el("button", { type: "button", class: "count", "aria-pressed": String(active === st), onclick: () => setState(st) },
      badge(st), el("b", {}, counts.get(st))));
  }
  $("counts").replaceChildren(...chips);
}

function setState(st) {
  $("state").value = st;
  showing = SHOW;
  render();
}

async function loadStreams() {
  let cursor = "";
  let n = 0;
  let drawn = 0;
  do {
    const page = await api(`/streams?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const r of page.streams) upsert(r);
    n += page.streams.length;
    cursor = page.list_complete ? "" : page.cursor;
    $("progress").textContent = cursor ? `Loaded ${n} streams…` : "";
    // The first page at once, then at most every 2 s, then the whole list.
    if (!cursor || drawn === 0 || Date.now() - drawn > 2000) {
      render();
      drawn = Date.now();
    }
  } while (cursor);
}

function connectFeed() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const b64 = btoa(unescape(encodeURIComponent(token))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  socket = new WebSocket(`${scheme}//${location.host}/alerts/live`, ["livehook", `bearer.${b64}`]);
  const feed = $("feed");
  socket.addEventListener("open", () => {
    reconnectDelay = 1000;
    feed.textContent = "live";
    feed.classList.add("on");
    // Stream objects learn that someone watches within a second (they stop asking the hub while
    // nobody does), and the list was read before the feed opened: read it once more after that,
    // so no change of those moments is missing.
    setTimeout(() => {
      if (!token) return;
      loadStreams().catch(() => {});
      loadIncidents().catch(() => {});
    }, CATCH_UP_MS);
  });
  socket.addEventListener("message", (e) => {
    if (e.data === "pong") return;
    let msg;
    try { msg = JSON.parse(e.data); } catch { return; }
    if (msg.type === "stream" && msg.record) {
      upsert(msg.record, msg.version, true);
      renderCounts();
    } else if (msg.type === "incident" && msg.incident) {
      takeIncident(msg.incident);
      renderIncidents();
      if (selected === keyOf(msg.incident)) loadStreamIncidents(msg.incident);
    } else if (msg.type === "alert" && selected && msg.alert && keyOf(msg.alert) === selected) {
      loadAlerts(streams.get(selected).record);
    }
  });
  socket.addEventListener("close", () => {
    feed.textContent = "reconnecting…";
    feed.classList.remove("on");
    if (!token) return;
    setTimeout(connectFeed, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 30000);
  });
}

// ---- Incidents: the unresolved ones at the top, kept current by the live feed ----

/** Takes an incident from a list, an answer or the feed. A resolved one leaves for good; an
 * acknowledgement is never undone by an older copy; the copy with more joined errors wins. */
function takeIncident(inc) {
  if (resolvedIds.has(inc.id)) return;
  if (inc.state === "resolved") {
    resolvedIds.add(inc.id);
    incidents.delete(inc.id);
    return;
  }
  const old = incidents.get(inc.id)?.incident;
  let next = inc;
  if (old) {
    next = { ...(inc.repeat_count >= old.repeat_count ? inc : old) };
    if (old.state === "acknowledged" || inc.state === "acknowledged") {
      next.state = "acknowledged";
      next.acknowledged_at = inc.acknowledged_at ?? old.acknowledged_at;
    }
  }
  incidents.set(inc.id, { incident: next, at: performance.now() });
}

/** Every open and acknowledged incident. One that the list no longer has leaves, unless the
 * feed told of it while the list was read. A failure is shown in the section; a refused token
 * is thrown (the caller signs out). */
async function loadIncidents() {
  const started = performance.now();
  const found = [];
  try {
    for (const state of ["open", "acknowledged"]) {
      let cursor = "";
      let pages = 0;
      do {
        const page = await api(`/incidents?state=${state}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        found.push(...page.incidents);
        cursor = page.cursor;
      } while (cursor && ++pages < INCIDENT_PAGES);
    }
  } catch (err) {
    if (err instanceof Unauthorized) throw err;
    $("incidents-error").textContent = `${LOAD_FAILED}${err.message}`;
    return;
  }
  if ($("incidents-error").textContent.startsWith(LOAD_FAILED)) $("incidents-error").textContent = "";
  const listed = new Set(found.map((i) => i.id));
  for (const [id, entry] of incidents) if (!listed.has(id) && entry.at < started) incidents.delete(id);
  for (const inc of found) takeIncident(inc);
  incidentsLoaded = true;
  renderIncidents();
}

/** The incident rows, newest first; rows are kept and updated in place, so a live change never
 * takes the focus away from a button. */
function renderIncidents() {
  const list = $("incident-list");
  const sorted = [...incidents.values()].map((e) => e.incident)
    .sort((a, b) => b.opened_at_ms - a.opened_at_ms || (a.id < b.id ? -1 : 1));
  const shown = sorted.slice(0, incidentsShowing);
  const keep = new Set(shown.map((i) => i.id));
  const focused = document.activeElement;
  let lostFocus = false;
  for (const [id, li] of incidentRows) {
    if (keep.has(id)) continue;
    // A row whose button was pressed (disabled meanwhile, which can drop the focus) counts too.
    if (li.contains(focused) || (li.dataset.busy && focused === document.body)) lostFocus = true;
    li.remove();
    incidentRows.delete(id);
  }
  let prev = null;
  for (const inc of shown) {
    let li = incidentRows.get(inc.id);
    if (!li) {
      li = incidentRow(inc);
      incidentRows.set(inc.id, li);
    }
    fillIncident(li, inc);
    const at = prev ? prev.nextSibling : list.firstChild;
    if (at !== li) list.insertBefore(li, at);
    prev = li;
  }
  if (lostFocus) (list.querySelector(".incident button") ?? $("incidents-title")).focus();
  const acked = sorted.filter((i) => i.state === "acknowledged").length;
  $("incidents-count").textContent = sorted.length
    ? `${sorted.length}${acked ? ` · ${acked} acknowledged` : ""}` : "";
  $("incidents-empty").hidden = !incidentsLoaded || sorted.length > 0;
  const more = $("incidents-more");
  more.hidden = sorted.length <= incidentsShowing;
  more.textContent = `Show all ${sorted.length} incidents (${sorted.length - incidentsShowing} not shown)`;
}

/** A row's fixed parts: the stream and the two buttons. `fillIncident` writes the rest. */
function incidentRow(inc) {
  const key = keyOf(inc);
  const where = `${inc.provider} · ${inc.kind.replace("_", " ")}`;
  const ack = el("button", { type: "button", class: "ack", "aria-label": `Acknowledge the incident of ${inc.stream_id}`,
    onclick: () => act(inc.id, "acknowledge") }, "Acknowledge");
  const resolve = el("button", { type: "button", class: "resolve", "aria-label": `Resolve the incident of ${inc.stream_id}`,
    onclick: () => act(inc.id, "resolve") }, "Resolve");
  return el("li", { class: "incident", "data-id": inc.id, "data-key": key },
    el("span", { class: "inc-cause" }),
    el("span", { class: "inc-stream" },
      el("button", { type: "button", class: "link id", "aria-label": `Details of ${inc.stream_id}, ${where}`,
        onclick: () => openDetails(key, inc) }, inc.stream_id),
      el("span", { class: "name" }),
      el("span", { class: "where" }, where)),
    el("span", { class: "problem" }),
    el("span", { class: "inc-since" }),
    el("span", { class: "inc-actions" }, ack, resolve));
}

function fillIncident(li, inc) {
  const acked = inc.state === "acknowledged";
  li.classList.toggle("acked", acked);
  li.dataset.state = inc.state;
  li.dataset.cause = inc.cause;
  const [cause, stream, problemCell, since, actions] = li.children;
  // `el` leaves out the parts that do not apply (replaceChildren would write "null").
  cause.replaceChildren(el("span", {}, el("span", { class: `badge c-${inc.cause}` }, inc.cause)),
    el("span", { class: "acked-tag", hidden: !acked, title: inc.acknowledged_at ? `acknowledged ${inc.acknowledged_at}` : null }, "✓ acknowledged"));
  stream.querySelector(".name").textContent = inc.name ?? "";
  problemCell.replaceChildren(inc.error
    ? el("span", {}, el("b", { class: inc.cause === "warning" ? "warn" : null }, inc.error.code), " ", inc.error.message,
      inc.repeat_count ? el("span", { class: "muted" }, ` · repeated ${inc.repeat_count} time(s)`) : null,
      inc.error.hint ? el("span", { class: "hint" }, inc.error.hint) : null)
    : el("span", { class: "muted" }, inc.cause === "offline" ? "Off air since then, past the grace period." : ""));
  since.replaceChildren(el("span", { class: "for" }, "for ", running(inc.opened_at_ms)),
    el("span", { class: "muted" }, "since ", clock(inc.opened_at)));
  actions.querySelector(".ack").hidden = acked;
}

/** Acknowledges or resolves one incident; the answer updates its row at once. */
async function act(id, verb) {
  const li = incidentRows.get(id);
  const inc = incidents.get(id)?.incident;
  const what = inc ? inc.stream_id : id;
  const buttons = li ? [...li.querySelectorAll(".inc-actions button")] : [];
  for (const b of buttons) b.disabled = true;
  if (li) li.dataset.busy = "1";
  $("incidents-error").textContent = "";
  try {
    const detail = await api(`/incidents/${encodeURIComponent(id)}/${verb}`, { method: "POST" });
    takeIncident(detail);
    renderIncidents();
    $("incidents-status").textContent = `${verb === "resolve" ? "Resolved" : "Acknowledged"} the incident of ${what}.`;
    if (selected === keyOf(detail)) loadStreamIncidents(detail);
  } catch (err) {
    $("incidents-error").textContent = err instanceof Unauthorized
      ? failure(err) : `Could not ${verb} the incident of ${what}: ${err.message}${err.status ? ` (${err.status})` : ""}.`;
    // 409: resolved meanwhile; the list says so.
    if (err.status === 409) loadIncidents().catch(() => {});
  } finally {
    for (const b of buttons) b.disabled = false;
    if (li) delete li.dataset.busy;
  }
}

/** One stream's incidents in its details, newest first. */
async function loadStreamIncidents(r) {
  const key = keyOf(r);
  try {
    const page = await api(`/incidents?stream=${encodeURIComponent(key)}&limit=20`);
    if (selected !== key) return;
    $("stream-incidents").replaceChildren(...(page.incidents.length ? page.incidents.map((i) => el("li", { "data-id": i.id, "data-state": i.state },
      el("span", {}, el("span", { class: `badge c-${i.cause}` }, i.cause)),
      el("span", { class: `i-${i.state}` }, i.state, i.resolved_by ? ` (${i.resolved_by === "manual" ? "by hand" : "by recovery"})` : ""),
      el("span", {}, "opened ", when(i.opened_at)),
      el("span", {}, i.duration_ms !== null && i.duration_ms !== undefined
        ? `lasted ${lasting(i.duration_ms)}` : ["for ", running(i.opened_at_ms)]),
      el("span", { class: "type" }, i.error ? [el("b", { class: i.cause === "warning" ? "warn" : null }, i.error.code), " ", i.error.message] : ""),
    )) : [el("li", { class: "muted" }, "No incidents for this stream.")]));
  } catch (err) {
    if (selected === key) $("stream-incidents").replaceChildren(el("li", { class: "error" }, failure(err)));
  }
}

function showRecord(r) {
  const rows = [
    ["State", badge(r.state)],
    ["Provider", `${r.provider} · ${r.kind.replace("_", " ")}`],
    r.name ? ["Name", r.name] : null,
    r.parent_id ? ["Parent", r.parent_id] : null,
    ["Recording", r.recording === null || r.recording === undefined ? "unknown" : r.recording ? "yes" : "no"],
    ["Last event", [r.last_event, " · ", when(r.updated_at), fromApi(r) ? [" ", apiMark(), el("span", { class: "visually-hidden" }, ` (${FROM_API})`)] : null]],
    ["Received", when(r.received_at)],
    r.verified_at ? ["Verified", [when(r.verified_at), " ", el("span", { class: "muted since", "data-at": r.verified_at, "data-prefix": `by ${verifier(r)}, ` },
      `by ${verifier(r)}, ${ago(r.verified_at)}`)]] : null,
    r.error ? ["Error", [el("b", {}, r.error.code), " ", r.error.message]] : null,
    r.error ? ["Hint", r.error.hint] : null,
    r.warning ? ["Warning", [el("b", { class: "warn" }, r.warning.code), " ", r.warning.message]] : null,
    r.latest_recording ? ["Latest recording", r.latest_recording] : null,
  ].filter(Boolean);
  $("details-record").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

async function openDetails(key, incident) {
  let s = streams.get(key);
  if (!s && incident) {
    // An incident's stream that the listing (KV, up to a second behind) has not shown yet.
    try {
      upsert(await api(`${streamPath(incident)}?kind=${incident.kind}`));
      render();
    } catch (err) {
      $("incidents-error").textContent = failure(err);
      return;
    }
    s = streams.get(key);
  }
  if (!s) return;
  selected = key;
  const r = s.record;
  $("details-title").textContent = r.stream_id;
  showRecord(r);
  $("details").hidden = false;
  $("details").focus();
  $("history").replaceChildren(el("li", { class: "muted" }, "Loading…"));
  $("alerts").replaceChildren();
  $("stream-incidents").replaceChildren(el("li", { class: "muted" }, "Loading…"));
  loadStreamIncidents(r);
  try {
    const page = await api(`${streamPath(r)}/events?kind=${r.kind}&limit=100`);
    $("history").replaceChildren(...(page.events.length ? page.events.map((e) => el("li", {},
      when(e.received_at), el("span", { class: `o-${e.outcome}`, title: e.outcome === "corrected" ? FROM_API : null }, e.outcome),
      el("span", { class: "type" }, e.event_type, e.error_code ? [" · ", el("b", {}, e.error_code)] : null),
      e.state ? badge(e.state) : el("span"))) : [el("li", { class: "muted" }, "No events recorded yet.")]));
  } catch (err) {
    $("history").replaceChildren(el("li", { class: "error" }, failure(err)));
  }
  await loadAlerts(r);
}

async function loadAlerts(r) {
  try {
    const page = await api(`/alerts?stream=${encodeURIComponent(keyOf(r))}&limit=20`);
    if (!page.alerts.length) {
      $("alerts").replaceChildren(el("li", { class: "muted" }, "No alerts for this stream."));
      return;
    }
    const full = await Promise.all(page.alerts.map((a) => api(`/alerts/${encodeURIComponent(a.id)}`)));
    $("alerts").replaceChildren(...full.map(alertItem));
  } catch (err) {
    $("alerts").replaceChildren(el("li", { class: "error" }, failure(err)));
  }
}

function alertItem(rec) {
  const a = rec.alert;
  const deliveries = rec.deliveries.length
    ? rec.deliveries.map((d) => el("li", {},
      el("span", { class: `d-${d.status}` }, d.status), el("span", { class: "id" }, d.subscriber_id),
      el("span", { class: "muted" }, `${d.attempts.length} attempt(s)`),
      d.dead_reason ? el("span", {}, d.dead_reason) : null,
      d.status === "dead" ? el("button", { type: "button", onclick: (e) => retry(a.id, e.currentTarget) }, "Retry") : null))
    : [el("li", { class: "muted" }, "No subscriber wanted it.")];
  return el("li", {},
    el("div", {}, badge(a.state), " ", el("b", {}, a.code ?? ""), " ", a.message ?? "", " ",
      el("span", { class: "muted" }, when(a.received_at))),
    a.hint ? el("div", { class: "muted" }, a.hint) : null,
    rec.repeat_count ? el("div", { class: "muted" }, `repeated ${rec.repeat_count} time(s)`) : null,
    el("ul", { class: "deliveries", "aria-label": "Deliveries" }, deliveries));
}

async function retry(id, button) {
  button.disabled = true;
  button.textContent = "Retrying…";
  try {
    await api(`/alerts/${encodeURIComponent(id)}/retry`, { method: "POST" });
  } catch (err) {
    button.textContent = failure(err);
    return;
  }
  setTimeout(() => selected && loadAlerts(streams.get(selected).record), 800);
}

/** The API behind each webhook route, where one is polled (`/healthz`'s `reconcile` keys).
 * `cloudflare-stream` carries videos, which no API pass checks; Cloudflare's live inputs come
 * through `cloudflare`. */
const API_OF_ROUTE = { cloudflare: "cloudflare", fastpix: "fastpix", gcore: "gcore", ivs: "ivs", livepeer: "livepeer", mux: "mux" };
const API_FAILURE = "The provider's API did not answer well on the last try: nothing was changed.";

/** One route's "API" cell: not polled, not asked yet, ok, or the last failure, with the
 * corrections of the last day and the round's length. `null` where /healthz has no report. */
function apiCell(route, reconcile) {
  if (!reconcile) return { cell: el("td", { class: "muted", "data-label": "API" }, "—"), failing: false, polled: false };
  const name = API_OF_ROUTE[route];
  const a = name ? reconcile[name] : undefined;
  if (SELF_HOSTED.has(route)) {
    return { cell: el("td", { class: "muted", "data-label": "API", title: "A self-hosted server has no API to ask: its hooks are the record (nginx-rtmp's heartbeats also catch a server that stops calling)." }, "none (self-hosted)"), failing: false, polled: false };
  }
  if (!a) {
    return { cell: el("td", { class: "muted", "data-label": "API", title: name ? null : "No API pass checks this route's streams (videos); Cloudflare's live inputs are checked on the cloudflare row." },
      name ? "—" : "not polled (videos)"), failing: false, polled: false };
  }
  if (!a.configured) {
    if (a.invalid) {
      return { cell: el("td", { class: "warn", "data-label": "API", title: `${a.invalid} is not a usable value: this API is not polled.` }, `not polled: ${a.invalid} invalid`), failing: true, polled: false };
    }
    const missing = (a.missing ?? []).join(", ");
    return { cell: el("td", { class: "muted", "data-label": "API", title: missing ? `To poll it, set ${missing}.` : null }, "not polled"), failing: false, polled: false };
  }
  const ok = Date.parse(a.last_ok_at ?? "");
  const err = a.last_error;
  const failing = Boolean(err) && !(ok >= Date.parse(err.at));
  const checked = a.last_ok_at
    ? ["ok · checked ", el("span", { class: "since", "data-at": a.last_ok_at, title: a.last_ok_at }, ago(a.last_ok_at))]
    : ["not checked yet"];
  const head = failing
    ? el("span", { class: "warn", title: API_FAILURE },
      `${err.category.replace("_", " ")}${err.status ? ` ${err.status}` : ""} · `,
      el("span", { class: "since", "data-at": err.at, title: err.at }, ago(err.at)))
    : el("span", {}, ...checked);
  const details = [`${a.corrected_last_day ?? 0} corrected in 24 h`];
  if (a.round_seconds !== null && a.round_seconds !== undefined) details.push(`round ${lasting(a.round_seconds * 1000)}`);
  return {
    cell: el("td", { class: "api", "data-api": name, "data-label": "API" }, head,
      failing && a.last_ok_at ? el("span", { class: "api-line muted" }, "last ok ",
        el("span", { class: "since", "data-at": a.last_ok_at, title: a.last_ok_at }, ago(a.last_ok_at))) : null,
      el("span", { class: "api-line muted" }, details.join(" · "))),
    failing,
    polled: true,
  };
}

/** Is anyone reaching us: per provider, from /healthz (public, no token). */
async function loadTraffic() {
  let h;
  try {
    const res = await fetch("/healthz", { cache: "no-store" });
    if (!res.ok) return;
    h = await res.json();
  } catch {
    return;
  }
  const refusedKey = (k) => k.startsWith("rejected:") || k.startsWith("failed:");
  const sum = (m, keep) => Object.entries(m).filter(([k]) => keep(k)).reduce((a, [, n]) => a + n, 0);
  let refusedTotal = 0;
  let reached = 0;
  let polled = 0;
  let failing = 0;
  const rows = Object.entries(h.traffic?.providers ?? {}).map(([route, t]) => {
    const accepted = sum(t.last_hour, (k) => !refusedKey(k));
    const refused = sum(t.last_hour, refusedKey);
    refusedTotal += refused;
    if (t.last_accepted_at) reached += 1;
    const reasons = Object.entries(t.last_hour).filter(([k]) => refusedKey(k))
      .map(([k, n]) => `${k.slice(k.indexOf(":") + 1)} ${n}`).join(", ");
    const configured = h.providers?.[route]?.configured;
    const api = apiCell(route, h.reconcile);
    polled += api.polled ? 1 : 0;
    failing += api.failing ? 1 : 0;
    return el("tr", { "data-provider": route },
      el("th", { scope: "row" }, route),
      el("td", { class: configured ? "" : "warn", "data-label": "Secret" }, configured ? "set" : "not set"),
      el("td", { "data-label": "Last accepted" }, t.last_accepted_at
        ? el("span", { class: "since", "data-at": t.last_accepted_at, title: t.last_accepted_at }, ago(t.last_accepted_at))
        : "none in 24 h"),
      el("td", { "data-label": "Last hour" }, `${accepted} accepted`),
      el("td", { class: refused ? "warn" : "", "data-label": "Refused" }, refused ? reasons : "0"),
      api.cell);
  });
  $("traffic-rows").replaceChildren(...rows);
  $("traffic-summary").textContent =
    `· ${reached} reached us in 24 h${refusedTotal ? ` · ${refusedTotal} refused in the last hour` : ""}` +
    (h.reconcile ? ` · ${polled} API${polled === 1 ? "" : "s"} polled${failing ? ` · ${failing} failing` : ""}` : "");
  $("traffic-source").textContent = h.traffic?.source === "analytics_engine"
    ? "Counts of the whole deployment (Workers Analytics Engine)."
    : "Counts of one worker instance only: set CF_ACCOUNT_ID and ANALYTICS_API_TOKEN for the whole deployment's.";
}

function failure(err) {
  return err instanceof Unauthorized ? "The token was refused." : `Could not load: ${err.message}`;
}

async function start() {
  $("signin").hidden = true;
  $("board").hidden = false;
  $("signout").hidden = false;
  $("feed").hidden = false;
  $("feed").textContent = "connecting…";
  try {
    await loadIncidents(); // the board's first question, before the (possibly long) stream listing
    await loadStreams();
  } catch (err) {
    return signOut(err instanceof Unauthorized
      ? "That token was refused (401): check STATUS_API_TOKEN."
      : `The API did not answer: ${err.message}`);
  }
  connectFeed();
  loadTraffic();
}

function signOut(message = "") {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (socket) socket.close();
  streams.clear();
  order.length = 0;
  $("streams").replaceChildren();
  incidents.clear();
  resolvedIds.clear();
  incidentRows.clear();
  incidentsLoaded = false;
  incidentsShowing = INCIDENTS_SHOW;
  $("incident-list").replaceChildren();
  $("incidents-count").textContent = "";
  $("incidents-error").textContent = "";
  $("incidents-status").textContent = "";
  $("incidents-empty").hidden = true;
  $("board").hidden = true;
  $("details").hidden = true;
  $("signout").hidden = true;
  $("feed").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("token").focus();
}

$("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  token = $("token").value.trim();
  $("token").value = "";
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("signin-error").textContent = "";
  start();
});
$("signout").addEventListener("click", () => signOut());
$("close").addEventListener("click", () => { selected = null; $("details").hidden = true; });
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !$("details").hidden) { selected = null; $("details").hidden = true; }
});
for (const id of ["provider", "state", "search"]) {
  $(id).addEventListener("input", () => { showing = SHOW; render(); });
}
$("more").addEventListener("click", () => { showing += SHOW; render(); });
$("incidents-more").addEventListener("click", () => { incidentsShowing = Infinity; renderIncidents(); });
for (const st of STATES) $("state").append(el("option", { value: st }, st));
setInterval(() => {
  for (const node of document.querySelectorAll(".since[data-at]")) node.textContent = (node.dataset.prefix ?? "") + ago(node.dataset.at);
  if (socket && socket.readyState === WebSocket.OPEN) socket.send("ping");
}, 15000);
setInterval(() => { if (token) loadTraffic(); }, 60000);
// Running durations: checked four times a second, so each turns over within 250 ms of its second.
setInterval(() => {
  const now = Date.now();
  for (const node of document.querySelectorAll(".duration[data-from]")) {
    const text = lasting(now - Number(node.dataset.from));
    if (node.textContent !== text) node.textContent = text;
  }
}, 250);

if (token) start();
else $("token").focus();
