// The platform floor: only the platform calls livehook makes for one webhook, with no parsing,
// no authentication and no logic. The worker reads the body, finds the stream id with one
// regular expression (so requests spread over as many Durable Objects as livehook's do), and
// hands the body to that stream's object through JS RPC (`stub.ingest(id, body)`, the cheapest
// way to reach an object, as the "JS, same guarantees" design and livehook do), which does one
// storage put and one KV put, as livehook's stream object does. Used only by `npm run bench`
// ("platform floor" row).
import { DurableObject } from "cloudflare:workers";

const ID = /"(?:input_id|streamId|simulcastId|id)"\s*:\s*"?([^",}]+)/;
const HEADERS = { "content-type": "application/json" };

export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("ok");
    const body = await request.text();
    const id = ID.exec(body)?.[1] ?? "none";
    const stub = env.STREAMS.get(env.STREAMS.idFromName(id));
    await stub.ingest(id, body);
    return new Response('{"ok":true}', { headers: HEADERS });
  },
};

export class FloorStream extends DurableObject {
  async ingest(id, body) {
    await this.ctx.storage.put("record", body);
    await this.env.STREAM_STATUS.put(`status:floor:${id}`, body);
    return true;
  }
}
