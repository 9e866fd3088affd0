import { freePort } from "../../src/dev/free-port.js";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { type DoctorReport, formatReport, runDoctor } from "../../src/doctor/doctor.js";
import { type RunningEmulator, startEmulator } from "../../src/emulator/index.js";
import { tenantEntry } from "../../src/dev/tenants-harness.js";
import { createLogger } from "../../src/logger.js";

const STORE = "doctorstore";
const TOKEN = "doctor-upstream-token";
const SCIM_TOKEN = "doctor-scim-token-0123456789";
const logger = createLogger("silent");

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function store(options: Parameters<typeof startEmulator>[0] = {}): Promise<Record<string, string>> {
  emulator = await startEmulator({ port: 0, accessToken: TOKEN, ...options });
  return { BIGCOMMERCE_STORE_HASH: STORE, BIGCOMMERCE_ACCESS_TOKEN: TOKEN, BIGCOMMERCE_API_URL: emulator.url, SCIM_BEARER_TOKENS: SCIM_TOKEN, PUBLIC_BASE_URL: "https://scim.example.com" };
}

const check = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id);
const failed = (report: DoctorReport) => report.checks.filter((c) => c.status === "fail").map((c) => c.id);

describe("npm run doctor", () => {
  it("passes against the embedded emulator, and says what to enter in each identity provider", async () => {
    const report = await runDoctor({}, logger);
    expect(failed(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(check(report, "store")?.status).toBe("warn");
    expect(report.guide?.idps.map((i) => i.idp)).toEqual(["Okta", "Microsoft Entra ID", "OneLogin"]);
    expect(report.guide?.baseUrl).toBe("http://localhost:8080/scim/v2");
    expect(formatReport(report)).toMatch(/PASS {2}BigCommerce credentials/);
  });

  it("passes a sound live set-up, spending only a few calls, and never prints the whole token", async () => {
    const env = await store();
    emulator!.store(STORE).channels.insert({ name: "scim-lockout", type: "storefront", platform: "custom" });
    const report = await runDoctor({ ...env, SCIM_LOCKOUT_CHANNEL_ID: "2" }, logger);
    expect(failed(report)).toEqual([]);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ["configuration", "pass"],
      ["credentials", "pass"],
      ["scope.customers-modify", "pass"],
      ["quota", "pass"],
      ["attributes", "pass"],
      ["lockout", "pass"],
      ["public-base-url", "pass"],
    ]);
    expect(report.upstreamCalls).toBeLessThanOrEqual(8);
    expect(emulator!.requests.length).toBe(report.upstreamCalls);
    // Read-only: nothing was created or changed.
    expect(emulator!.store(STORE).attributes.all()).toEqual([]);
    expect(report.guide?.idps[0]?.settings).toContainEqual({ label: "SCIM connector base URL", value: "https://scim.example.com/scim/v2" });
    expect(JSON.stringify(report)).not.toContain(SCIM_TOKEN);
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it("fails a wrong access token, naming the fix", async () => {
    const env = await store();
    const report = await runDoctor({ ...env, BIGCOMMERCE_ACCESS_TOKEN: "not-the-token" }, logger);
    expect(report.ok).toBe(false);
    expect(check(report, "credentials")).toMatchObject({ status: "fail", detail: expect.stringMatching(/401/), fix: expect.stringMatching(/access token of a store-level API account/) });
  });

  it("fails a token without the Customers modify scope", async () => {
    const env = await store({ tokenScopes: { [TOKEN]: ["store_v2_customers_read_only", "store_channel_settings_read_only"] } });
    const report = await runDoctor(env, logger);
    expect(report.ok).toBe(false);
    expect(failed(report)).toEqual(["scope.customers-modify"]);
    expect(check(report, "scope.customers-modify")?.fix).toMatch(/Customers scope to modify/);
  });

  it("fails a lockout channel that allows global logins, and one the token may not read", async () => {
    const env = await store();
    const s = emulator!.store(STORE);
    s.channels.insert({ name: "scim-lockout", type: "storefront", platform: "custom" });
    s.settings.setChannel(2, { ...s.settings.channel(2), allow_global_logins: true });
    const open = await runDoctor({ ...env, SCIM_LOCKOUT_CHANNEL_ID: "2" }, logger);
    expect(check(open, "lockout")).toMatchObject({ status: "fail", detail: expect.stringMatching(/allows global logins/), fix: expect.stringMatching(/allow_global_logins to false/) });
    emulator!.setOptions({ tokenScopes: { [TOKEN]: ["store_v2_customers"] } });
    const hidden = await runDoctor({ ...env, SCIM_LOCKOUT_CHANNEL_ID: "2" }, logger);
    expect(check(hidden, "lockout")).toMatchObject({ status: "fail", fix: expect.stringMatching(/Channel Settings: read-only/) });
  });

  it("fails when the store's attribute definitions leave no room for the bridge's", async () => {
    const env = await store();
    for (let i = 0; i < 50; i += 1) emulator!.store(STORE).attributes.insert({ name: `merchant attribute ${i}`, type: "string" });
    const report = await runDoctor(env, logger);
    expect(check(report, "attributes")).toMatchObject({ status: "fail", detail: expect.stringMatching(/has 50 customer attributes/), fix: expect.stringMatching(/Delete unused customer attributes/) });
  });

  it("fails a parking group that does not exist", async () => {
    const env = await store();
    const report = await runDoctor({ ...env, SCIM_DEACTIVATED_GROUP_ID: "77" }, logger);
    expect(check(report, "parking-group")).toMatchObject({ status: "fail", detail: expect.stringMatching(/no such customer group/) });
  });

  it("fails a parking group that is the store's default group (every new customer would start in it)", async () => {
    const env = await store();
    const parking = emulator!.store(STORE).groups.insert({ name: "Deactivated", is_default: true }).id;
    const report = await runDoctor({ ...env, SCIM_DEACTIVATED_GROUP_ID: String(parking) }, logger);
    expect(report.ok).toBe(false);
    expect(check(report, "parking-group")).toMatchObject({ status: "fail", detail: expect.stringMatching(/is the store's default customer group/) });
  });

  it("fails an unreadable mapping file, naming the variable", async () => {
    const report = await runDoctor({ SCIM_MAPPING_FILE: join(mkdtempSync(join(tmpdir(), "doctor-")), "missing.json") }, logger);
    expect(report.ok).toBe(false);
    expect(check(report, "configuration")).toMatchObject({ status: "fail", detail: expect.stringMatching(/SCIM_MAPPING_FILE: .*cannot be read/) });
  });

  it("lists the mapping file's attributes and address types among the mapped attributes", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "doctor-")), "mapping.json");
    writeFileSync(file, JSON.stringify({ attributes: [{ scim: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", customerAttribute: "Cost center" }], addresses: { types: ["work", "home"] } }));
    const report = await runDoctor({ SCIM_MAPPING_FILE: file }, logger);
    expect(report.ok).toBe(true);
    const mapped = report.guide?.mapped.map((m) => m.scim) ?? [];
    expect(mapped).toEqual(expect.arrayContaining(['addresses[type eq "work"]', 'addresses[type eq "home"]', "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"]));
    expect(formatReport(report)).toMatch(/addresses\[type eq "home"\] → a customer address the bridge owns/);
  });

  it("fails when Redis does not answer, without printing its password", async () => {
    const port = await freePort();
    const env = await store();
    const report = await runDoctor({ ...env, REDIS_URL: `redis://:hunter2-secret@127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: "200" }, logger);
    expect(check(report, "redis")).toMatchObject({ status: "fail", detail: `redis://127.0.0.1:${port} does not answer` });
    expect(JSON.stringify(report)).not.toContain("hunter2");
  });

  /** Another app's calls in the current window of the store's quota (100 requests per 10 min). */
  async function otherAppCalls(count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const res = await fetch(`${emulator!.url}/stores/${STORE}/v3/customers?limit=1`, { headers: { "X-Auth-Token": TOKEN } });
      expect(res.status).toBe(200);
    }
  }

  // docs/operations.md: the quota check "warns when other apps use more than half of the window".
  it("passes the quota when other apps have used half of the window", async () => {
    const env = await store({ rateQuota: 100, rateWindowMs: 600_000 });
    await otherAppCalls(50);
    const report = await runDoctor(env, logger);
    expect(check(report, "quota")).toMatchObject({ status: "pass", detail: "100 requests per 600 s; other apps used 50 (50 %) of this window so far" });
  });

  it("warns when other apps have used more than half of the window", async () => {
    const env = await store({ rateQuota: 100, rateWindowMs: 600_000 });
    await otherAppCalls(51);
    const report = await runDoctor(env, logger);
    expect(report.ok).toBe(true);
    expect(check(report, "quota")).toMatchObject({
      status: "warn",
      detail: "100 requests per 600 s; other apps used 51 (51 %) of this window so far",
      fix: expect.stringMatching(/Other apps use most of the store's quota/),
    });
  });

  it("fails plain http for PUBLIC_BASE_URL outside loopback", async () => {
    const env = await store();
    const report = await runDoctor({ ...env, PUBLIC_BASE_URL: "http://scim.example.com" }, logger);
    expect(check(report, "public-base-url")?.status).toBe("fail");
  });

  it("checks every tenant of a tenants file, naming the tenant whose set-up fails", async () => {
    emulator = await startEmulator({ port: 0, accessToken: TOKEN });
    const file = join(mkdtempSync(join(tmpdir(), "doctor-tenants-")), "tenants.json");
    writeFileSync(file, JSON.stringify({ tenants: [tenantEntry(emulator, "acme-eu", { accessToken: TOKEN }), tenantEntry(emulator, "acme-us", { accessToken: "revoked-token" })] }));
    const report = await runDoctor({ SCIM_TENANTS_FILE: file, SCIM_BEARER_TOKENS: SCIM_TOKEN, PUBLIC_BASE_URL: "https://scim.example.com" }, logger);
    expect(report.ok).toBe(false);
    expect(failed(report)).toEqual(["tenant/acme-us/credentials"]);
    expect(check(report, "tenant/acme-eu/credentials")?.status).toBe("pass");
    expect(report.tenantGuides?.["acme-eu"]?.baseUrl).toBe("https://scim.example.com/t/acme-eu/scim/v2");
    expect(formatReport(report)).toMatch(/FAIL {2}\[acme-us\] BigCommerce credentials/);
  });

  it("runs as a command: --json for machines, exit status 1 when the bridge cannot serve", async () => {
    const env = await store();
    const run = promisify(execFile);
    const outcome = await run(process.execPath, ["--import", "tsx", "src/doctor/main.ts", "--json"], {
      env: { PATH: process.env.PATH, ...env, BIGCOMMERCE_ACCESS_TOKEN: "wrong-token" },
    }).then(
      () => ({ code: 0, stdout: "" }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(outcome.code).toBe(1);
    const report = JSON.parse(outcome.stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === "credentials")?.status).toBe("fail");
  });

  it("exits 2 on an argument it does not know (docs/operations.md)", async () => {
    const run = promisify(execFile);
    const code = await run(process.execPath, ["--import", "tsx", "src/doctor/main.ts", "--jsno"], { env: { PATH: process.env.PATH } }).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(code).toBe(2);
  });
});

