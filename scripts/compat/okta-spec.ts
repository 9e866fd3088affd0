/**
 * Okta's SCIM 2.0 SPEC test (Runscope export) replayed step by step with Runscope's semantics
 * (idp-clients.md §2.4, §5.1): `{{var}}` interpolation, assertions on status / JSON / time,
 * variable extraction, pauses skipped. Variables are seeded the way Okta's initial script
 * (Initial_Script_Spec.txt, not redistributed) seeds them. The one JS script (step 10) is
 * re-implemented by hand in `groupsScript`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startBridge, TEST_TOKEN, STORE_HASH } from "../../src/dev/bridge-harness.js";
import { brief, send, type HttpResult } from "./lib/http.js";
import { readPath } from "./lib/json-path.js";
import { SuiteReport, type CaseRecorder } from "./lib/report.js";

interface RunscopeAssertion {
  comparison: string;
  source: "response_status" | "response_json" | "response_time" | string;
  value: string | null;
  property?: string;
}

interface RunscopeStep {
  step_type: "request" | "pause" | string;
  note?: string;
  method?: string;
  url?: string;
  headers?: Record<string, string[] | string>;
  body?: string;
  assertions?: RunscopeAssertion[];
  variables?: { source: string; name: string | null; property: string }[];
  scripts?: string[];
  skipped?: boolean;
}


function digits(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 10);
  return s;
}

function letters(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + Math.floor(Math.random() * 26));
  return s;
}

/** What Okta's Initial_Script_Spec.txt puts in the Runscope environment (§2.4). */
export function oktaInitialVariables(baseUrl: string, auth: string): Record<string, string> {
  const randomGivenName = `Runscope${digits(3)}`;
  const randomFamilyName = `${letters(1).toUpperCase()}${letters(8)}${digits(3)}`;
  const randomEmail = `${randomGivenName}${randomFamilyName}@atko.com`;
  return {
    SCIMBaseURL: baseUrl,
    auth,
    randomGivenName,
    randomFamilyName,
    randomEmail,
    randomUsername: randomEmail,
    randomUsernameCaps: randomEmail.toUpperCase(),
    InvalidUserEmail: "abcdefgh@atko.com",
    UserIdThatDoesNotExist: "010101001010101011001010101011",
  };
}

function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === "string" || Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

function asString(v: unknown): string {
  if (v === undefined) return "";
  if (v === null) return "null";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** One Runscope assertion; returns [ok, description of what was seen]. */
function evaluate(a: RunscopeAssertion, res: HttpResult, vars: Record<string, string>): [boolean, string] {
  const expected = a.value === null ? null : interpolate(a.value, vars);
  let actual: unknown;
  if (a.source === "response_status") actual = res.status;
  else if (a.source === "response_time") actual = Math.round(res.timeMs);
  else if (a.source === "response_json") actual = a.property ? readPath(res.json, a.property) : res.json;
  else return [false, `unsupported source ${a.source}`];
  const seen = `got ${asString(actual)}`;
  switch (a.comparison) {
    case "equal":
      return [asString(actual) === expected, seen];
    case "equal_number":
      return [typeof actual !== "object" && actual !== "" && Number(actual) === Number(expected), seen];
    case "has_value":
    case "contains":
      if (Array.isArray(actual)) return [actual.some((x) => asString(x) === expected), seen];
      if (typeof actual === "string") return [expected !== null && actual.includes(expected), seen];
      return [false, seen];
    case "not_empty":
      return [!isEmpty(actual), seen];
    case "empty":
      return [isEmpty(actual), seen];
    case "is_a_number":
      return [typeof actual === "number" && Number.isFinite(actual), seen];
    case "is_less_than":
      return [Number(actual) < Number(expected), seen];
    case "is_greater_than":
      return [Number(actual) > Number(expected), seen];
    default:
      return [false, `unsupported comparison ${a.comparison}`];
  }
}

/**
 * Step 10's Runscope script, by hand:
 *   var data = JSON.parse(response.body); var max = data.totalResults; var res = data.Resources;
 *   if (max === 0) assert("nogroups", …)            // always passes
 *   else if (max >= 1 && Array.isArray(res)) assert.ok(true, "Resources is of type Array")
 * Runscope fails the script when JSON.parse throws or an assert fails. Read for its intent, a
 * response with totalResults >= 1 must carry `Resources` as an array; that is checked too.
 */
function groupsScript(rec: CaseRecorder, res: HttpResult): void {
  let data: { totalResults?: unknown; Resources?: unknown };
  try {
    data = JSON.parse(res.text) as typeof data;
  } catch (err) {
    rec.fail("script: JSON.parse(response.body)", (err as Error).message);
    return;
  }
  rec.pass("script: JSON.parse(response.body)");
  const max = data.totalResults;
  if (max === 0) {
    rec.pass('script: assert("nogroups") (totalResults === 0)');
  } else if (typeof max === "number" && max >= 1) {
    rec.check("script: Resources is of type Array", Array.isArray(data.Resources), `Resources = ${asString(data.Resources).slice(0, 80)}`);
  } else {
    rec.fail("script: totalResults is a number", `totalResults = ${asString(max)}`);
  }
}

export async function runOktaSpec(sharedDir: string): Promise<SuiteReport> {
  const report = new SuiteReport("Okta SCIM 2.0 SPEC test");
  const file = path.join(sharedDir, "scim-suites/okta/Okta-SCIM-20-SPEC-Test.json");
  const suite = JSON.parse(await readFile(file, "utf8")) as { steps: RunscopeStep[] };
  const bridge = await startBridge();
  try {
    // The test needs one user on the server before it starts (§2.4): an existing store customer.
    const store = bridge.emulator.store(STORE_HASH);
    store.customers.insert({ email: "existing.customer@example.com", first_name: "Existing", last_name: "Customer" });
    // And a customer group, so the optional Groups step sees a non-empty list.
    store.groups.insert({ name: "Wholesale" });
    const vars = oktaInitialVariables(`${bridge.url}/scim/v2`, `Bearer ${TEST_TOKEN}`);
    report.note(`seeded: one existing customer, one customer group; randomUsername=${vars.randomUsername}`);

    let n = 0;
    for (const step of suite.steps) {
      if (step.step_type === "pause") continue; // Runscope waits; nothing to wait for here.
      if (step.step_type !== "request") {
        report.skip(`unknown step type ${step.step_type}`, "not a request");
        continue;
      }
      n++;
      const name = `${n}. ${interpolate(step.note ?? `${step.method} ${step.url}`, vars).trim()}`;
      if (step.skipped) {
        report.skip(name, "marked skipped in the export");
        continue;
      }
      const rec = report.begin(name);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.headers ?? {})) {
        headers[k] = interpolate(Array.isArray(v) ? v.join(", ") : v, vars);
      }
      const url = interpolate(step.url ?? "", vars);
      const body = step.body ? interpolate(step.body, vars) : undefined;
      let res: HttpResult;
      try {
        res = await send({ method: step.method ?? "GET", url, headers, ...(body !== undefined ? { body } : {}) });
      } catch (err) {
        rec.fail(`${step.method} ${url}`, (err as Error).message);
        continue;
      }
      for (const a of step.assertions ?? []) {
        const [ok, seen] = evaluate(a, res, vars);
        const label = `${a.source}${a.property ? ` ${a.property}` : ""} ${a.comparison}${a.value !== null ? ` ${interpolate(a.value, vars)}` : ""}`;
        rec.check(label, ok, `${seen}; response ${brief(res, 200)}`);
      }
      for (const script of step.scripts ?? []) {
        if (script.trim() === "") continue;
        if (script.includes("Array.isArray(res)") && script.includes("totalResults")) groupsScript(rec, res);
        else rec.fail("script", "unrecognised Runscope script (only step 10's is re-implemented)");
      }
      for (const v of step.variables ?? []) {
        if (!v.name) continue;
        const value = v.source === "response_json" ? readPath(res.json, v.property) : undefined;
        if (value !== undefined && value !== null) vars[v.name] = asString(value);
      }
    }
  } finally {
    await bridge.close();
  }
  return report;
}
