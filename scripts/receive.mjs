// `npm run receive -- [port] [whsec_secret]`: a local alert receiver for trying livehook out.
// Prints every request it gets; with the subscriber's secret it verifies the Standard Webhooks
// signature using the `standardwebhooks` library (not livehook's code) and answers 401 if it fails.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const port = Number(process.argv[2] ?? 9000);
const secret = process.argv[3];
const verifier = secret ? new Webhook(secret) : null;

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verdict = "unsigned";
      if (verifier && req.headers["webhook-signature"]) {
        try {
          verifier.verify(body, req.headers);
          verdict = "signature ok";
        } catch (e) {
          verdict = `signature FAILED (${e.message})`;
        }
      }
      console.log(`${new Date().toISOString()} ${req.method} ${req.url} ${req.headers["webhook-id"] ?? ""} ${verdict}`);
      console.log(body);
      res.writeHead(verdict.startsWith("signature FAILED") ? 401 : 200).end();
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`receiving on http://127.0.0.1:${port}`));
