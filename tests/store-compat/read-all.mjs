// Every read-back answer of a store: the listing, each stream's record, history and diagnostics,
// every alert with its deliveries, every subscriber. Keyed by the request's path; each value is
// `{ status, body }`. Used to make the persisted-store fixture and by the spec that opens it.

export async function readAll(w) {
  const answers = {};
  const get = async (p) => {
    const r = await w.api(p);
    answers[p] = { status: r.status, body: r.body };
    return r;
  };
  const streams = [];
  let cursor = null;
  do {
    const r = await get(`/streams?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    streams.push(...r.body.streams);
    cursor = r.body.cursor;
  } while (cursor);
  for (const s of streams) {
    const base = `/streams/${s.provider}/${encodeURIComponent(s.stream_id)}`;
    const kind = `?kind=${s.kind}`;
    await get(base + kind);
    await get(`${base}/events${kind}&limit=100`);
    await get(`${base}/diagnostics${kind}`);
  }
  const alerts = await get("/alerts?limit=200");
  for (const a of alerts.body.alerts) await get(`/alerts/${a.id}`);
  const subs = await get("/subscriptions");
  for (const s of subs.body.subscriptions) await get(`/subscriptions/${s.id}`);
  return answers;
}
