import { freePort } from "../../src/dev/free-port.js";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { composeEnvironment } from "../support/compose-environment.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

/**
 * Issue 19, item 4: `docker compose up` as documented passed PUBLIC_BASE_URL="" and both replicas
 * crash-looped. Without Docker: the bridge process (src/main.ts, what the image runs compiled)
 * starts with exactly the environment docker-compose.yml gives a container, plus the image's ENV.
 * Only what Docker's network would provide is replaced: the `redis` host name (a local
 * redis-server with the same password) and the store (an emulator at BIGCOMMERCE_API_URL).
 */
const PASSWORD = "0123456789abcdef0123456789abcdef";
const TOKEN = "compose-scim-token-0123456789";
let redis: RedisServer;
let emulator: RunningEmulator;

beforeAll(async () => {
  if (!redisServerAvailable) return;
  redis = await startRedisServer({ password: PASSWORD });
  emulator = await startEmulator({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await emulator?.close();
  await redis?.stop();
});


/** ENV of the Dockerfile's last stage. */
function imageEnvironment(): Record<string, string> {
  const text = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8").replace(/\\\n/g, " ");
  const runtime = text.slice(text.lastIndexOf("\nFROM "));
  const env: Record<string, string> = {};
  for (const line of runtime.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const eq = pair.indexOf("=");
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

describe.skipIf(!redisServerAvailable)("the environment of `docker compose up`", () => {
  it(redisServerAvailable ? "starts the bridge, ready, with PUBLIC_BASE_URL=\"\"" : SKIP_REASON, async () => {
    const compose = composeEnvironment({ BIGCOMMERCE_STORE_HASH: "composestore", BIGCOMMERCE_ACCESS_TOKEN: "access-token", SCIM_BEARER_TOKENS: TOKEN, REDIS_PASSWORD: PASSWORD });
    expect(compose.PUBLIC_BASE_URL).toBe("");
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? "",
      ...imageEnvironment(),
      ...compose,
      REDIS_URL: compose.REDIS_URL!.replace("@redis:6379", `@${new URL(redis.url).host}`),
      BIGCOMMERCE_API_URL: emulator.url,
      PORT: String(port),
    };
    const child = spawn("node_modules/.bin/tsx", ["src/main.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const collect = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("SCIM bridge listening")) resolve();
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        void exited.then((code) => reject(new Error(`exited (${code}) before listening:\n${output}`)));
      });
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      const spc = await fetch(`http://127.0.0.1:${port}/scim/v2/ServiceProviderConfig`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(spc.status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
});
