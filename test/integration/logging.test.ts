import { Writable } from "node:stream";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createBigCommerceClient } from "../../src/bigcommerce/client.js";
import { loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";
import { newUser } from "./helpers.js";

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    cb();
  },
});
const TOKEN = "logging-test-token-abcdef123456";
const UPSTREAM_TOKEN = "upstream-secret-token-xyz987";
let emulator: RunningEmulator;
let app: Awaited<ReturnType<typeof createApp>>;
let client: ReturnType<typeof createBigCommerceClient>;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  const config = loadConfig({ SCIM_BEARER_TOKENS: TOKEN, BIGCOMMERCE_STORE_HASH: "logs", BIGCOMMERCE_ACCESS_TOKEN: UPSTREAM_TOKEN, BIGCOMMERCE_API_URL: emulator.url, LOG_LEVEL: "debug" });
  const logger = createLogger("debug", sink);
  client = createBigCommerceClient({ apiUrl: emulator.url, storeHash: "logs", accessToken: UPSTREAM_TOKEN, logger });
  app = await createApp({ config, client, logger });
});
afterAll(async () => {
  await app.close();
  await client.close();
  await emulator.close();
});

describe("logs", () => {
  it("carry request ids, write one audit line per change, and never a secret or a full email", async () => {
    const res = await request(app.app)
      .post("/scim/v2/Users")
      .set("Authorization", `Bearer ${TOKEN}`)
      .set("X-Request-Id", "req-abc-123")
      .send(newUser("secret.person@x.test", { password: "Pa55-word-never-logged" }));
    expect(res.status).toBe(201);
    expect(res.headers["x-request-id"]).toBe("req-abc-123");
    await request(app.app).get("/scim/v2/Users").set("Authorization", "Bearer wrong-token-value-123");
    const all = lines.join("\n");
    for (const secret of [TOKEN, UPSTREAM_TOKEN, "Pa55-word-never-logged", "wrong-token-value-123"]) expect(all).not.toContain(secret);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = parsed.filter((l) => l.audit === true);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ resource: "User", operation: "create", customerId: Number(res.body.id), client: "token#1" });
    expect(JSON.stringify(audit[0])).not.toContain("secret.person@x.test");
    expect(parsed.some((l) => (l.req as { id?: string } | undefined)?.id === "req-abc-123")).toBe(true);
  });
});
