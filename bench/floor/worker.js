// The platform floor: only the platform calls livehook makes for one webhook, with no parsing,
// no authentication and no logic. The worker reads the body, finds the stream id with one
// regular expression (so requests spread over as many Durable Objects as livehook's do), and
// sends the body to that stream's object, which does one storage put and one KV put, as
// livehook's stream object does. Used only by `npm run bench` ("platform floor" row).
const ID = /"(?:input_id|streamId|simulcastId|id)"\s*:\s*"?([^",}]+)/;

export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response("ok");
    const body = await request.text();
    const id = ID.exec(body)?.[1] ?? "none";
    const stub = env.STREAMS.get(env.STREAMS.idFromName(id));
    return stub.fetch("https://stream/", { method: "POST", body, headers: { "x-stream": id } });
  },
};

export class FloorStream {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }

  async fetch(request) {
    const body = await request.text();
    await this.ctx.storage.put("record", body);
    await this.env.STREAM_STATUS.put(`status:floor:${request.headers.get("x-stream")}`, body);
    return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
  }
}
