/**
 * `npm run compat`: replays the IdP conformance material in ../shared/scim-suites/ against the
 * real bridge (over HTTP, on the in-memory BigCommerce emulator) and prints each suite's totals,
 * then one line `compat: N passed, M failed`. Exit code 1 on any failure.
 *
 *   npm run compat                 totals and failures
 *   npm run compat -- --verbose    every case and check, with overrides and their reasons
 *   npm run compat -- okta entra   only the named suites (okta, postman, validator, discovery)
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runDiscovery } from "./discovery.js";
import type { SuiteReport } from "./lib/report.js";
import { runOktaSpec } from "./okta-spec.js";
import { runPostman } from "./postman.js";
import { runValidator } from "./validator.js";
import { sharedMaterial } from "../shared-material.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const sharedDir = sharedMaterial(repoRoot, "npm run compat", ["scim-suites"]);

const SUITES: Record<string, (shared: string) => Promise<SuiteReport[]>> = {
  okta: async (s) => [await runOktaSpec(s)],
  postman: async (s) => [await runPostman(s)],
  validator: (s) => runValidator(s),
  discovery: async (s) => [await runDiscovery(s)],
};

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const verbose = args.includes("--verbose") || args.includes("-v");
  const wanted = args.filter((a) => !a.startsWith("-"));
  const names = wanted.length > 0 ? wanted : Object.keys(SUITES);
  let passed = 0;
  let failed = 0;
  for (const name of names) {
    const run = SUITES[name];
    if (!run) {
      console.error(`unknown suite '${name}'; choose from ${Object.keys(SUITES).join(", ")}`);
      return 2;
    }
    let reports: SuiteReport[];
    try {
      reports = await run(sharedDir);
    } catch (err) {
      console.log(`${name}: crashed: ${(err as Error).stack ?? String(err)}`);
      failed++;
      continue;
    }
    for (const r of reports) {
      const skipped = r.skipped > 0 ? `, ${r.skipped} skipped` : "";
      console.log(`${r.name}: ${r.passed} passed, ${r.failed} failed${skipped} (${r.checkCount} checks)`);
      for (const note of r.notes) console.log(`  note: ${note}`);
      for (const line of r.render(verbose)) console.log(line);
      passed += r.passed;
      failed += r.failed;
    }
  }
  console.log(`compat: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
