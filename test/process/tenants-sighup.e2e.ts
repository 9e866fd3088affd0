import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { buildToTempDir, spawnWithLines } from "./built-process.js";

/**
 * Issue 20: the built process (`npm start`) with SCIM_TENANTS_FILE serves each tenant at
 * /t/<id>/scim/v2 on a standalone emulator, and reads the file again on SIGHUP.
 */
const token = (id: string) => `${id}-e2e-token-0123456789`;

let build: ReturnType<typeof buildToTempDir>;
let dir: string;
let emulator: RunningEmulator;
beforeAll(async () => {
  build = buildToTempDir("bridge-tenants-");
  dir = build.dir;
  emulator = await startEmulator({ port: 0, rateQuota: 100_000 });
});
afterAll(async () => {
  await emulator?.close();
  build?.remove();
});

const tenant = (id: string) => ({ id, bigcommerce: { storeHash: `${id}store`, accessToken: { env: "STORE_TOKEN" }, apiUrl: emulator.url }, scimTokens: [token(id)] });

describe("npm start with SCIM_TENANTS_FILE", () => {
  it("serves each tenant under /t/<id>/scim/v2, and a tenant added to the file after SIGHUP", async () => {
    const file = join(dir, "tenants.json");
    writeFileSync(file, JSON.stringify({ tenants: [tenant("one")] }));
    const { child, lines, exited, waitForLine } = spawnWithLines(process.execPath, [join(dir, "dist/main.js")], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SCIM_TENANTS_FILE: file, STORE_TOKEN: "any-store-token" },
    });
    try {
      const listening = await waitForLine((l) => l.includes("SCIM bridge listening"));
      const base = `http://127.0.0.1:${(JSON.parse(listening) as { port: number }).port}`;
      const users = (id: string) => fetch(`${base}/t/${id}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token(id)}` } });
      expect((await users("one")).status).toBe(200);
      expect((await users("two")).status).toBe(401);

      writeFileSync(file, JSON.stringify({ tenants: [tenant("one"), tenant("two")] }));
      child.kill("SIGHUP");
      await waitForLine((l) => l.includes('"trigger":"SIGHUP"'));
      // Applied by the SIGHUP, or by the poll a moment before it; either way served now or very soon.
      const until = Date.now() + 10_000;
      while ((await users("two")).status !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect((await users("two")).status).toBe(200);
      expect((await users("one")).status).toBe(200);
      // Tenant lines carry the tenant (the log pipe may deliver it after the answer); no line carries a secret.
      await waitForLine((l) => l.includes('"tenant":"two"') && l.includes("tenant serving"));
      expect(lines.join("\n")).not.toContain("any-store-token");
      expect(lines.join("\n")).not.toContain(token("one"));
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});
