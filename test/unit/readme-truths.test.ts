import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { INDEX_SETTLE_ON_CLOSE_MS, perMinute } from "../../src/app.js";
import { MAX_ATTRIBUTE_VALUES_PER_CALL } from "../../src/bigcommerce/attribute-values.js";
import { MAX_CUSTOMER_BATCH } from "../../src/bigcommerce/customers.js";
import { MAX_LIST_CHARS, MAX_VALUES } from "../../src/bigcommerce/merged-reads.js";
import { MAX_PASSES } from "../../src/bigcommerce/slot-queue.js";
import { UNSETTLED_MEMORY_MS } from "../../src/bigcommerce/unsettled-creates.js";
import { loadConfig, REQUEST_HARD_LIMIT_MS } from "../../src/config.js";
import { MAX_DEPTH } from "../../src/http/json-body.js";
import { MAX_UNMAPPED_LABELS } from "../../src/http/metrics.js";
import { FORWARD_HOP_MS } from "../../src/http/request-deadline.js";
import { HOP_WINDOW_MS } from "../../src/http/replica-hop.js";
import { MAX_FILTER_DEPTH } from "../../src/scim/filter/parse.js";
import { MAX_GROUP_MEMBERS_PER_REQUEST } from "../../src/scim/groups/group-limits.js";
import { MAX_CUSTOMER_ATTRIBUTES } from "../../src/scim/users/attribute-catalog-setup.js";
import { LOCK_WAIT_MS } from "../../src/shared-state/index.js";
import { DRAIN_LIMIT_MS } from "../../src/shutdown.js";
import { REFUSALS } from "../../src/sso/refusals.js";

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

/** The prose of one page, whitespace folded (lines wrap anywhere). */
const page = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8").replace(/\s+/g, " ");
const commas = (n: number) => n.toLocaleString("en-US");

describe("facts the pages state that the code decides", () => {
  const defaults = loadConfig({});

  it("operations.md: a stop waits 5 s for index entries written behind, and takes 10 s at most", () => {
    const operations = page("operations.md");
    expect(operations).toContain(`waits up to ${INDEX_SETTLE_ON_CLOSE_MS / 1000} s for the \`externalId\` index entries`);
    expect(operations).toContain(`The whole stop takes at most ${DRAIN_LIMIT_MS / 1000} s after the signal`);
    expect(INDEX_SETTLE_ON_CLOSE_MS).toBeLessThan(DRAIN_LIMIT_MS);
  });

  it("operations.md: the sign-in refusal reasons the audit table names are reasons the bridge records", () => {
    const raw = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
    const row = /^\| `reason` \|(.*)\|$/m.exec(raw);
    const named = [...(row?.[1] ?? "").matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const reason of named) expect(Object.keys(REFUSALS), reason).toContain(reason);
  });

  it("security.md: the per-address limits' defaults, their minute and the in-process bound", () => {
    const security = page("security.md");
    expect(security).toContain(`\`AUTH_FAILURE_LIMIT\` per minute (default ${defaults.limits.authFailures})`);
    expect(security).toContain(`\`SSO_RATE_LIMIT\` per minute (default ${defaults.limits.ssoRequests})`);
    expect(perMinute(1).windowMs).toBe(60_000);
    expect(security).toContain(`a process's table holds at most ${commas(perMinute(1).maxAddresses)} addresses`);
  });

  it("groups.md, limitations.md, errors.md, replicas.md: bounds they quote", () => {
    expect(page("groups.md")).toContain(`carries at most **${MAX_GROUP_MEMBERS_PER_REQUEST} member values**`);
    expect(page("groups.md")).toContain(`"maxGroupMembersPerRequest": ${MAX_GROUP_MEMBERS_PER_REQUEST}`);
    expect(page("limitations.md")).toContain(`nesting deeper than ${MAX_FILTER_DEPTH} levels is refused with \`400 invalidFilter\``);
    expect(page("errors.md")).toContain(`bodies nested deeper than ${MAX_DEPTH} levels`);
    const replicas = page("replicas.md");
    expect(replicas).toContain(`its timestamp is within ${HOP_WINDOW_MS / 1000} s of the leader's clock`);
    expect(replicas).toContain(`the first attempt; ${UNSETTLED_MEMORY_MS / 60_000} minutes)`);
  });

  it("operations.md and mapping.md: the follower's margin, the store's attribute definitions, the unmapped labels", () => {
    const operations = page("operations.md");
    expect(operations).toContain(`minus ${FORWARD_HOP_MS / 1000} s for the way back`);
    expect(operations).toContain(`do not fit the store's limit (${MAX_CUSTOMER_ATTRIBUTES})`);
    const mapping = page("mapping.md");
    expect(mapping).toContain(`A store holds at most ${MAX_CUSTOMER_ATTRIBUTES} attribute definitions`);
    expect(mapping).toContain(`(the first ${MAX_UNMAPPED_LABELS} names get their own label`);
  });

  it("quota.md: what one call carries, and how often a queue may be passed over", () => {
    const quota = page("quota.md");
    expect(MAX_ATTRIBUTE_VALUES_PER_CALL).toBe(MAX_CUSTOMER_BATCH);
    expect(quota).toContain(`creates and updates as batches of up to ${MAX_CUSTOMER_BATCH}`);
    expect(quota).toContain(`(${MAX_CUSTOMER_BATCH} customers or values, up to ${MAX_VALUES} ids/emails and ${MAX_LIST_CHARS} characters of list per read)`);
    expect(MAX_PASSES).toBe(2);
    expect(quota).toContain("no queue is passed over more than twice");
  });

  it("every metric a page names is one the bridge registers", () => {
    const registered = ["src/http/metrics.ts", "src/tenants/front.ts"]
      .map((f) => readFileSync(new URL(`../../${f}`, import.meta.url), "utf8"))
      .flatMap((code) => [...code.matchAll(/name: "([a-z_]+)"/g)].map((m) => m[1]!));
    // Metric names: the bridge's customer attributes (`scim_title`, …) share the prefix but not these endings.
    const named = [...docs.matchAll(/`((?:scim|bigcommerce)_[a-z_]+(?:_total|_seconds|_left|_quota|_valid)|scim_tenants)[`{]/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(5);
    for (const metric of new Set(named)) expect(registered, metric).toContain(metric);
  });
});
