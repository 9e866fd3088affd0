import { Writable } from "node:stream";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createBigCommerceClient } from "../../src/bigcommerce/client.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/index.js";
import { maskedUrl } from "../../src/http/log-url.js";
import { createLogger } from "../../src/logger.js";
import { newUser } from "./helpers.js";

/** Issue 8, item 10: filter values (customers' emails) reach request logs only at debug level. */
const TOKEN = "log-masking-token-0123456789";
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function logsOf(level: "info" | "debug"): Promise<string> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const emulator = await startEmulator({ port: 0 });
  const config = loadConfig({ SCIM_BEARER_TOKENS: TOKEN, BIGCOMMERCE_STORE_HASH: "masking", BIGCOMMERCE_ACCESS_TOKEN: "x", BIGCOMMERCE_API_URL: emulator.url, LOG_LEVEL: level });
  const logger = createLogger(level, sink);
  const client = createBigCommerceClient({ apiUrl: emulator.url, storeHash: "masking", accessToken: "x", logger });
  const app = await createApp({ config, client, logger });
  closers.push(async () => {
    await app.close();
    await client.close();
    await emulator.close();
  });
  const auth = { Authorization: `Bearer ${TOKEN}` };
  expect((await request(app.app).post("/scim/v2/Users").set(auth).send(newUser("jane.customer@x.test"))).status).toBe(201);
  const filter = encodeURIComponent('userName eq "jane.customer@x.test" and externalId eq "ext-secret-1"');
  expect((await request(app.app).get(`/scim/v2/Users?filter=${filter}&count=5&secret=jane.customer@x.test`).set(auth)).status).toBe(200);
  return lines.join("");
}

describe("request logs", () => {
  it("at info: the filter's shape, never its values", async () => {
    const logs = await logsOf("info");
    expect(logs).toContain("/scim/v2/Users?filter=");
    expect(logs).not.toContain("jane.customer");
    expect(logs).not.toContain("ext-secret-1");
    expect(logs).toContain(encodeURIComponent('userName eq "***" and externalId eq "***"'));
  });

  it("at debug: the full URL", async () => {
    expect(await logsOf("debug")).toContain("jane.customer%40x.test");
  });

  it("masks unquoted values and unterminated strings too", () => {
    const shown = decodeURIComponent(maskedUrl(`/scim/v2/Users?filter=${encodeURIComponent('id eq 12345 or userName sw "jan')}&attributes=userName`));
    expect(shown).toBe('/scim/v2/Users?filter=id eq *** or userName sw "***"&attributes=userName');
  });
});
