import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Upstream } from "../compose.js";
import { ConfigError, loadConfig, type Config } from "../config.js";
import { startEmulator } from "../emulator/index.js";
import { type Check, canServe, fail, pass, warn } from "./check.js";
import { idpGuide, type Guide } from "./idp-guide.js";
import { setupChecks } from "./setup-checks.js";
import { storeChecks } from "./store-checks.js";
import { tenantSetup, type TenantSetup } from "../tenants/tenant-config.js";
import { readTenantsFile, TenantsFileError, type TenantEntry } from "../tenants/tenants-file.js";

export interface DoctorReport {
  /** Whether the bridge can serve with this set-up (no check failed). */
  ok: boolean;
  /** The store checked; with a tenants file, "tenants" (each tenant's checks are prefixed `tenant/<id>/`). */
  store: string;
  checks: Check[];
  /** BigCommerce calls the doctor spent of the store's quota (of all the tenants' stores together). */
  upstreamCalls: number;
  /** What to enter in each identity provider; absent when the configuration is invalid. */
  guide?: Guide;
  /** With a tenants file: what to enter for each tenant. */
  tenantGuides?: Record<string, Guide>;
}

/**
 * Checks, read-only, everything the bridge needs with the configuration it would start with
 * (the same environment), and says what to type into each identity provider. Without store
 * credentials it checks the embedded emulator the bridge would run on.
 */
export async function runDoctor(env: NodeJS.ProcessEnv, logger: Logger): Promise<DoctorReport> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.message.split("\n").slice(1).map((l) => l.trim());
    return {
      ok: false,
      store: "unknown",
      checks: [fail("configuration", "Configuration", problems.join("; "), "Correct the variables named (docs/configuration.md lists each with its accepted values).")],
      upstreamCalls: 0,
    };
  }
  const checks: Check[] = [pass("configuration", "Configuration", "every variable is valid")];
  if (config.tenantsFile !== null) return tenantsDoctor(config.tenantsFile, env, logger, checks);
  let upstream: Upstream;
  let close = async () => {};
  if (config.bigcommerce !== null) upstream = config.bigcommerce;
  else {
    const emulator = await startEmulator({ port: 0, host: "127.0.0.1", rateQuota: config.emulator.rateQuota, rateWindowMs: config.emulator.rateWindowMs });
    close = () => emulator.close();
    upstream = { apiUrl: emulator.url, storeHash: "emulated", accessToken: randomBytes(16).toString("hex") };
    checks.push(warn("store", "Store", "no BIGCOMMERCE_STORE_HASH / BIGCOMMERCE_ACCESS_TOKEN: checking the embedded emulator, whose data is lost when the bridge stops", "Set BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_ACCESS_TOKEN to provision a real store."));
  }
  try {
    const store = await storeChecks(config, upstream);
    checks.push(...store.checks, ...(await setupChecks(config, logger)));
    return { ok: canServe(checks), store: upstream.storeHash, checks, upstreamCalls: store.calls, guide: idpGuide(config) };
  } finally {
    await close();
  }
}

/** Every tenant of the tenants file, checked as its own bridge would start (src/tenants). */
async function tenantsDoctor(file: string, env: NodeJS.ProcessEnv, logger: Logger, checks: Check[]): Promise<DoctorReport> {
  let entries: TenantEntry[];
  try {
    entries = readTenantsFile(file, env);
  } catch (err) {
    if (!(err instanceof TenantsFileError)) throw err;
    checks.push(fail("tenants-file", "Tenants file", err.message, "Correct the entries named (docs/tenants.md describes the format)."));
    return { ok: false, store: "tenants", checks, upstreamCalls: 0 };
  }
  checks.push(pass("tenants-file", "Tenants file", `${entries.length} tenant(s): ${entries.map((e) => e.id).join(", ")}`));
  let calls = 0;
  const tenantGuides: Record<string, Guide> = {};
  for (const entry of entries) {
    const prefixed = (c: Check): Check => ({ ...c, id: `tenant/${entry.id}/${c.id}`, title: `[${entry.id}] ${c.title}` });
    let setup: TenantSetup;
    try {
      setup = tenantSetup(entry, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      checks.push(prefixed(fail("configuration", "Configuration", err.message.split("\n").slice(1).map((l) => l.trim()).join("; "), "Correct the tenant's settings named.")));
      continue;
    }
    const store = await storeChecks(setup.config, setup.upstream);
    calls += store.calls;
    checks.push(...[...store.checks, ...(await setupChecks(setup.config, logger))].map(prefixed));
    tenantGuides[entry.id] = idpGuide(setup.config, `/t/${entry.id}`);
  }
  return { ok: canServe(checks), store: "tenants", checks, upstreamCalls: calls, tenantGuides };
}

const MARK = { pass: "PASS", warn: "WARN", fail: "FAIL" } as const;

/** The report for a person: one line per check, its fix below it, then the IdP settings. */
export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const lines = [`SCIM bridge doctor: store ${report.store}`, ""];
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.status]}  ${c.title.padEnd(width)}  ${c.detail}`);
    if (c.fix !== undefined) lines.push(`        ${" ".repeat(width)}  fix: ${c.fix}`);
  }
  lines.push("", `Spent ${report.upstreamCalls} call(s) of the store's API quota.`);
  lines.push(report.ok ? "The bridge can serve with this set-up." : "The bridge cannot serve with this set-up: fix what FAILs above.");
  const guides: [string, Guide][] = report.guide ? [["", report.guide]] : Object.entries(report.tenantGuides ?? {});
  for (const [tenant, guide] of guides) {
    const whose = tenant === "" ? "" : ` of tenant ${tenant}`;
    lines.push("", `Mapped attributes${whose} (SCIM → BigCommerce):`);
    for (const m of guide.mapped) lines.push(`  ${m.scim} → ${m.bigcommerce}`);
    for (const idp of guide.idps) {
      lines.push("", `${idp.idp}${whose}:`);
      for (const s of idp.settings) lines.push(`  ${s.label}: ${s.value}`);
      lines.push(`  A custom attribute: ${idp.customAttribute}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
