import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * docs/getting-started.md: `npm start` on the emulator prints a token for the run, unless
 * SCIM_BEARER_TOKENS is set, which is then used and nothing is printed. (The printed token is
 * exercised by test/sso/dev-provider-demo.test.ts.)
 */
describe("npm start on the embedded emulator with a token of one's own", () => {
  it("uses SCIM_BEARER_TOKENS and prints no token for the run", async () => {
    const token = "my-own-token-0123456789abcdef";
    const child = spawn("node_modules/.bin/tsx", ["src/main.ts"], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", SCIM_BEARER_TOKENS: token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const collect = (chunk: Buffer): void => {
          output += chunk.toString();
          const listening = /"scim":"(http:\/\/[^"]+)".*SCIM bridge listening/.exec(output);
          if (listening) resolve(listening[1]!);
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        void exited.then(() => reject(new Error(`exited before listening:\n${output}`)));
      });
      expect(output).not.toContain("SCIM bearer token for this run");
      expect((await fetch(`${url}/ServiceProviderConfig`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }, 60_000);
});
