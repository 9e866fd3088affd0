import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

const TSX = "node_modules/.bin/tsx";
// Starting tsx in a child process takes seconds on a loaded machine: a bound on hanging, not on speed.
const SPAWN_TIMEOUT_MS = 90_000;

function run(env: Record<string, string>, onLine?: (line: string, stop: () => void) => void): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(TSX, ["src/emulator/main.ts"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      onLine?.(output, () => child.kill("SIGTERM"));
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("npm run emulator (src/emulator/main.ts)", () => {
  it("refuses a bad variable with a clear message and exit code 1", async () => {
    const { code, output } = await run({ EMULATOR_PORT: "eighty", EMULATOR_RATE_QUOTA: "0" });
    expect(code).toBe(1);
    expect(output).toContain("EMULATOR_PORT must be an integer");
    expect(output).toContain("EMULATOR_RATE_QUOTA");
  }, SPAWN_TIMEOUT_MS);

  it("serves on the configured port, logs its URL once, and stops on SIGTERM", async () => {
    let served = 0;
    const { code, output } = await run({ EMULATOR_PORT: "0", EMULATOR_RATE_QUOTA: "7" }, (text, stop) => {
      const match = /listening on (http:\/\/\S+) /.exec(text);
      if (match === null || served > 0) return;
      served = 1;
      void fetch(`${match[1]}/stores/s1/v3/customers`, { headers: { "X-Auth-Token": "t" } })
        .then((r) => {
          served = r.status;
          expect(r.headers.get("x-rate-limit-requests-quota")).toBe("7");
        })
        .finally(stop);
    });
    expect(served).toBe(200);
    expect(code).toBe(0);
    expect(output.match(/listening on/g)).toHaveLength(1);
    // What a newcomer needs to point the bridge at it (issue 8, item 12).
    expect(output).toMatch(/BIGCOMMERCE_API_URL=http:\/\/127\.0\.0\.1:\d+ \(not \.\.\.\/stores\/\{hash\}\/v3\)/);
    expect(output).toMatch(/any BIGCOMMERCE_ACCESS_TOKEN: it accepts all of them/);
    expect(output).toContain("/__emulator/requests");
  }, SPAWN_TIMEOUT_MS);
});
