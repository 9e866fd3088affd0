import { spawn } from "node:child_process";
import { freePort } from "../../src/dev/free-port.js";
import { describe, expect, it } from "vitest";
import { BrowserlessClient } from "./browserless-client.js";

const TSX = "node_modules/.bin/tsx";


/** Starts src/main.ts (what `npm start` runs) and waits until its output matches `ready`. */
function startMain(env: Record<string, string>, ready: RegExp) {
  const child = spawn(TSX, ["src/main.ts"], { env: { ...process.env, LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const started = new Promise<string>((resolve, reject) => {
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) resolve(output);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    void exited.then(() => reject(new Error(`exited before ready:\n${output}`)));
  });
  return { started, exited, stop: () => child.kill("SIGTERM"), output: () => output };
}

describe("npm start with SSO_DEV_PROVIDER=1 (embedded emulator)", () => {
  it("demonstrates storefront sign-in end to end against the built-in development provider", async () => {
    const port = await freePort();
    const main = startMain({ PORT: String(port), HOST: "127.0.0.1", SSO_DEV_PROVIDER: "1", PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, /SCIM bridge listening/);
    try {
      const output = await main.started;
      const token = /SCIM bearer token for this run \(emulator mode\): (\S+)/.exec(output)![1]!;
      const storefront = /"storefront":"(http:\/\/[^"]+)\/login\.php"/.exec(output)![1]!;
      expect(output).toContain("signs in ANY email");
      const created = await fetch(`http://127.0.0.1:${port}/scim/v2/Users`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
        body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "demo@example.com", name: { givenName: "Demo", familyName: "User" } }),
      });
      expect(created.status).toBe(201);
      const client = new BrowserlessClient();
      const loginPage = await client.request(`${storefront}/login.php`);
      const link = /id="sso-sign-in" href="([^"]+)"/.exec(loginPage.body)![1]!.replace(/&#38;/g, "&");
      const page = await client.browse(link, { login: "demo@example.com", password: "anything" });
      expect(page.url).toBe(`${storefront}/account.php`);
      expect(page.body).toContain("Signed in as Demo User (demo@example.com)");
    } finally {
      main.stop();
      await main.exited;
    }
  }, 60_000);

  // Issue 19, item 5: the demo ignored SSO_JIT_CREATE (and SSO_MATCH, SSO_CHANNEL_ID).
  it("honours SSO_JIT_CREATE=true: an email no customer has is created and signed in", async () => {
    const port = await freePort();
    const main = startMain(
      { PORT: String(port), HOST: "127.0.0.1", SSO_DEV_PROVIDER: "1", SSO_JIT_CREATE: "true", PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
      /SCIM bridge listening/,
    );
    try {
      const output = await main.started;
      const token = /SCIM bearer token for this run \(emulator mode\): (\S+)/.exec(output)![1]!;
      const storefront = /"storefront":"(http:\/\/[^"]+)\/login\.php"/.exec(output)![1]!;
      const client = new BrowserlessClient();
      const loginPage = await client.request(`${storefront}/login.php`);
      const link = /id="sso-sign-in" href="([^"]+)"/.exec(loginPage.body)![1]!.replace(/&#38;/g, "&");
      const page = await client.browse(link, { login: "just.in.time@example.com", password: "anything" });
      expect(page.url).toBe(`${storefront}/account.php`);
      const found = await fetch(`http://127.0.0.1:${port}/scim/v2/Users?filter=${encodeURIComponent('userName eq "just.in.time@example.com"')}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(((await found.json()) as { totalResults: number }).totalResults).toBe(1);
    } finally {
      main.stop();
      await main.exited;
    }
  }, 60_000);
});
