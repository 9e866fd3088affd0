import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";

/**
 * Issue 20: the built process (`npm start`) with SCIM_TENANTS_FILE serves each tenant at
 * /t/<id>/scim/v2 on a standalone emulator, and reads the file again on SIGHUP.
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const token = (id: string) => `${id}-e2e-token-0123456789`;

let dir: string;
let emulator: RunningEmulator;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "bridge-tenants-"));
  copyFileSync(join(root, "package.json"), join(dir, "package.json"));
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", join(dir, "dist")], { stdio: "inherit" });
  emulator = await startEmulator({ port: 0, rateQuota: 100_000 });
});
afterAll(async () => {
  await emulator?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const tenant = (id: string) => ({ id, bigcommerce: { storeHash: `${id}store`, accessToken: { env: "STORE_TOKEN" }, apiUrl: emulator.url }, scimTokens: [token(id)] });

function waitForLine(child: ChildProcess, lines: string[], test: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = lines.find(test);
      if (found !== undefined) {
        child.stdout!.off("data", check);
        child.off("exit", early);
        resolve(found);
      }
    };
    const early = (code: number | null) => reject(new Error(`exited (${code}) before the expected line:\n${lines.join("\n")}`));
    child.stdout!.on("data", check);
    child.once("exit", early);
    check();
  });
}

describe("npm start with SCIM_TENANTS_FILE", () => {
  it("serves each tenant under /t/<id>/scim/v2, and a tenant added to the file after SIGHUP", async () => {
    const file = join(dir, "tenants.json");
    writeFileSync(file, JSON.stringify({ tenants: [tenant("one")] }));
    const child = spawn(process.execPath, [join(dir, "dist/main.js")], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SCIM_TENANTS_FILE: file, STORE_TOKEN: "any-store-token" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let partial = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    });
    child.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const listening = await waitForLine(child, lines, (l) => l.includes("SCIM bridge listening"));
      const base = `http://127.0.0.1:${(JSON.parse(listening) as { port: number }).port}`;
      const users = (id: string) => fetch(`${base}/t/${id}/scim/v2/Users`, { headers: { Authorization: `Bearer ${token(id)}` } });
      expect((await users("one")).status).toBe(200);
      expect((await users("two")).status).toBe(401);

      writeFileSync(file, JSON.stringify({ tenants: [tenant("one"), tenant("two")] }));
      child.kill("SIGHUP");
      await waitForLine(child, lines, (l) => l.includes('"trigger":"SIGHUP"'));
      // Applied by the SIGHUP, or by the poll a moment before it; either way served now or very soon.
      const until = Date.now() + 10_000;
      while ((await users("two")).status !== 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect((await users("two")).status).toBe(200);
      expect((await users("one")).status).toBe(200);
      // Tenant lines carry the tenant; no line carries a secret.
      expect(lines.some((l) => l.includes('"tenant":"two"') && l.includes("tenant serving"))).toBe(true);
      expect(lines.join("\n")).not.toContain("any-store-token");
      expect(lines.join("\n")).not.toContain(token("one"));
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});
