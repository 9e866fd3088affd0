import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, REQUEST_HARD_LIMIT_MS } from "../../src/config.js";
import { LOCK_WAIT_MS } from "../../src/shared-state/index.js";

/** Issue 19, item 5: the README said both "ETags are not offered" and documented them. */
const docsDir = new URL("../../docs/", import.meta.url);
const docs = ["README.md", ...readdirSync(docsDir).map((f) => `docs/${f}`)].map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), "utf8")).join("\n");

describe("the documentation", () => {
  it("documents ETags and never says they are not offered", () => {
    expect(docs).toMatch(/If-None-Match/);
    expect(docs).not.toMatch(/ETags are not (offered|supported)/i);
  });
});

/** Numbers the pages repeat in prose (the configuration reference itself is generated and checked). */
describe("numbers the docs repeat from the code", () => {
  const operations = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8").replace(/\s+/g, " ");
  const defaults = loadConfig({});
  const thousands = (ms: number) => String(ms).replace(/\B(?=(\d{3})+$)/g, " ");

  it("operations.md: the request budget's default and bound, the hard limit", () => {
    expect(operations).toContain(`\`SCIM_REQUEST_BUDGET_MS\` (default ${thousands(defaults.requestBudgetMs)} ms, at most ${thousands(REQUEST_HARD_LIMIT_MS - 1_000)})`);
    expect(operations).toContain(`a hard limit of ${REQUEST_HARD_LIMIT_MS / 1000} s`);
  });

  it("operations.md: the lock wait with replicas, and the audit file's defaults", () => {
    const lease = loadConfig({ REDIS_URL: "redis://r:6379" }).redis!.lockLeaseMs;
    expect(operations).toContain(`the longer of ${LOCK_WAIT_MS / 1000} s and \`REDIS_LOCK_LEASE_MS\` + 5 s (${Math.max(LOCK_WAIT_MS, lease + 5_000) / 1000} s by default)`);
    const audit = loadConfig({ SCIM_AUDIT_FILE: "/tmp/a.jsonl" }).auditFile!;
    expect(operations).toContain(`(\`SCIM_AUDIT_FILE_MAX_MB\`, default ${audit.maxBytes / 1024 / 1024}:`);
    expect(operations).toContain(`keeping \`SCIM_AUDIT_FILE_KEEP\` files, default ${audit.keep})`);
  });
});
