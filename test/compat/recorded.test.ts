/**
 * Recorded-traffic tests: the request sequences Okta, Entra ID (both PATCH dialects) and
 * OneLogin send, replayed against a fresh bridge on the BigCommerce emulator, asserting the
 * responses and the BigCommerce state afterwards. The sequences are written from
 * ../shared/notes/idp-clients.md (each file names its section); this runner does not read
 * anything outside test/compat/.
 *
 * File format (test/compat/<idp>/<name>.json):
 *
 *   {
 *     "description": "what the IdP is doing",            (required)
 *     "source": "idp-clients.md §2.3",                   (where the wire shapes come from)
 *     "env": { "SCIM_DELETE_MODE": "deactivate" },       (optional bridge environment)
 *     "headers": { "User-Agent": "Okta SCIM Client 1.0.0" },  (optional, sent with every request)
 *     "knownIssue": "…",   (optional: the bridge does not do this yet; the file runs as it.fails,
 *                          so it turns red once the bridge is fixed — then drop the key)
 *     "seed": {                                          (optional, written straight into the emulator store)
 *       "groups": [{ "name": "Wholesale", "as": "wholesaleId" }],        as: variable for its id
 *       "customers": [{ "email": "a@x.com", "first_name": "A", "last_name": "B",
 *                       "customer_group_id": "{{wholesaleId}}", "as": "aId" }],
 *       "generateCustomers": { "count": 150, "email": "user{n}@example.com" }
 *     },
 *     "steps": [{
 *       "name": "Create the user",
 *       "request": {
 *         "method": "POST",
 *         "path": "/Users?aadOptscim062020",                 below /scim/v2; {{vars}} interpolated
 *         "headers": { "Content-Type": "application/scim+json; charset=utf-8" },
 *         "auth": "none" | "<Authorization header value>",   (default: the bridge's bearer token)
 *         "body": { ... } | "raw text"                       ({{vars}} interpolated in strings)
 *       },
 *       "expect": {
 *         "status": 201,                                     number or list of acceptable numbers
 *         "body": { "userName": "a@x.com", "Resources[0].id": "{{userId}}", "emails": { "$length": 1 } },
 *         "headers": { "content-type": { "$contains": "application/scim+json" } },
 *         "capture": { "userId": "id" }                      variable ← response JSON path
 *       },
 *       "store": {                                           BigCommerce state after the step
 *         "customers": [{ "email": "a@x.com", "exists": true, "first_name": "A",
 *                         "customer_group_id": "{{groupId}}", "passwordIs": "s3cret",
 *                         "attributes": { "scim_active": "false", "scim_department": null } }],
 *         "groups": [{ "name": "Test SCIMv2", "exists": true }],
 *         "customerCount": 3
 *       }
 *     }]
 *   }
 *
 * Body expectations map a path (`a.b`, `list[0].c`; a key with dots or colons as `["urn:…:User"]`)
 * to an expected value, after interpolation. Scalars and arrays must be equal (arrays element by
 * element, same length); objects match when every key they list matches (other keys may be
 * present). Matchers: {"$absent": true}, {"$exists": true}, {"$length": n}, {"$contains": value}
 * (an array element matches, or a substring), {"$oneOf": [values]}, {"$ne": value}.
 * Store customers are found by email (case-insensitive); other keys are customer fields (numbers
 * compare as strings, so "{{groupId}}" matches customer_group_id 7, and matchers work too),
 * `passwordIs` / `passwordIsNot` check the stored password, and `attributes` names the bridge's
 * customer attributes (`scim_active`, `scim_external_id`, …) with null for "no value".
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge, STORE_HASH, type RunningBridge } from "../support/bridge-harness.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const IDPS = ["okta", "entra", "entra-aadOptscim062020", "onelogin"] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface RecordedStep {
  name: string;
  request: { method: string; path: string; headers?: Record<string, string>; auth?: string; body?: Json };
  expect: { status: number | number[]; body?: Record<string, Json>; headers?: Record<string, Json>; capture?: Record<string, string> };
  store?: {
    customers?: ({ email: string; exists?: boolean; passwordIs?: string; passwordIsNot?: string; attributes?: Record<string, Json> } & Record<string, Json | undefined>)[];
    groups?: { name: string; exists?: boolean }[];
    customerCount?: number;
  };
}

interface RecordedFile {
  description: string;
  source?: string;
  env?: Record<string, string>;
  headers?: Record<string, string>;
  knownIssue?: string;
  seed?: {
    groups?: { name: string; as?: string }[];
    customers?: ({ email: string; first_name: string; last_name: string; as?: string } & Record<string, Json | undefined>)[];
    generateCustomers?: { count: number; email: string };
  };
  steps: RecordedStep[];
}

function interpolate<T extends Json | undefined>(value: T, vars: Map<string, string>): T {
  if (typeof value === "string") {
    return value.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => {
      const v = vars.get(name);
      if (v === undefined) throw new Error(`variable {{${name}}} is not set (captured by an earlier step?)`);
      return v;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [interpolate(k, vars), interpolate(v, vars)])) as T;
  }
  return value;
}

/** `a.b[0].c`, with `["urn:…"]` for keys that contain dots or colons. */
function readPath(value: unknown, p: string): unknown {
  const tokens: (string | number)[] = [];
  const re = /\["([^"]+)"\]|\[(\d+)\]|([^.[\]]+)/g;
  for (const m of p.matchAll(re)) tokens.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  let cur: unknown = value;
  for (const t of tokens) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[t];
  }
  return cur;
}

function matches(actual: unknown, expected: Json): { ok: boolean; why: string } {
  const show = (v: unknown) => JSON.stringify(v);
  if (expected && typeof expected === "object" && !Array.isArray(expected)) {
    const keys = Object.keys(expected);
    if (keys.length === 1 && keys[0]!.startsWith("$")) {
      const arg = expected[keys[0]!]!;
      switch (keys[0]) {
        case "$absent":
          return { ok: (actual === undefined) === arg, why: `is ${show(actual)}` };
        case "$exists":
          return { ok: (actual !== undefined && actual !== null) === arg, why: `is ${show(actual)}` };
        case "$length":
          return { ok: Array.isArray(actual) && actual.length === arg, why: `is ${show(actual)}` };
        case "$contains":
          return {
            ok: Array.isArray(actual)
              ? actual.some((x) => matches(x, arg).ok)
              : typeof actual === "string" && typeof arg === "string" && actual.includes(arg),
            why: `is ${show(actual)}`,
          };
        case "$oneOf":
          return { ok: Array.isArray(arg) && arg.some((x) => matches(actual, x).ok), why: `is ${show(actual)}` };
        case "$ne":
          return { ok: !matches(actual, arg).ok, why: `is ${show(actual)}` };
        default:
          throw new Error(`unknown matcher ${keys[0]}`);
      }
    }
    if (!actual || typeof actual !== "object" || Array.isArray(actual)) return { ok: false, why: `is ${show(actual)}` };
    for (const k of keys) {
      const r = matches((actual as Record<string, unknown>)[k], expected[k]!);
      if (!r.ok) return { ok: false, why: `.${k} ${r.why}` };
    }
    return { ok: true, why: "" };
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return { ok: false, why: `is ${show(actual)}` };
    for (let i = 0; i < expected.length; i++) {
      const r = matches(actual[i], expected[i]!);
      if (!r.ok) return { ok: false, why: `[${i}] ${r.why}` };
    }
    return { ok: true, why: "" };
  }
  return { ok: actual === expected, why: `is ${show(actual)}` };
}

function loadFiles(idp: string): [string, RecordedFile][] {
  const dir = path.join(here, idp);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(path.join(dir, f), "utf8")) as RecordedFile]);
}

function seed(bridge: RunningBridge, file: RecordedFile, vars: Map<string, string>): void {
  const store = bridge.emulator.store(STORE_HASH);
  for (const g of file.seed?.groups ?? []) {
    const row = store.groups.insert({ name: g.name });
    if (g.as) vars.set(g.as, String(row.id));
  }
  for (const c of file.seed?.customers ?? []) {
    const { as, ...fields } = interpolate(c as unknown as Json, vars) as unknown as typeof c;
    if (typeof fields.customer_group_id === "string") fields.customer_group_id = Number(fields.customer_group_id);
    const row = store.customers.insert(fields as Parameters<typeof store.customers.insert>[0]);
    if (as) vars.set(as, String(row.id));
  }
  const gen = file.seed?.generateCustomers;
  for (let n = 1; gen && n <= gen.count; n++) {
    store.customers.insert({ email: gen.email.replace("{n}", String(n).padStart(4, "0")), first_name: "Generated", last_name: `Customer${n}` });
  }
}

function checkStore(bridge: RunningBridge, step: RecordedStep, vars: Map<string, string>, where: string): void {
  const store = bridge.emulator.store(STORE_HASH);
  const expected = interpolate(step.store as unknown as Json, vars) as unknown as NonNullable<RecordedStep["store"]>;
  if (expected.customerCount !== undefined) {
    expect(store.customers.count(), `${where}: number of customers`).toBe(expected.customerCount);
  }
  for (const want of expected.customers ?? []) {
    const id = store.customers.idByEmail(want.email);
    const row = id === undefined ? undefined : store.customers.get(id);
    const exists = want.exists ?? true;
    expect(row !== undefined, `${where}: customer ${want.email} ${exists ? "exists" : "does not exist"}`).toBe(exists);
    if (!row) continue;
    for (const [field, value] of Object.entries(want)) {
      if (["email", "exists", "attributes", "passwordIs", "passwordIsNot"].includes(field)) continue;
      const actual = (row as unknown as Record<string, unknown>)[field];
      const ok = typeof value === "string" && typeof actual === "number" ? String(actual) === value : matches(actual, value as Json).ok;
      expect(ok, `${where}: customer ${want.email} ${field} is ${JSON.stringify(actual)}, expected ${JSON.stringify(value)}`).toBe(true);
    }
    if (want.passwordIs !== undefined) {
      expect(store.customers.checkPassword(row.id, want.passwordIs), `${where}: customer ${want.email} password is ${want.passwordIs}`).toBe(true);
    }
    if (want.passwordIsNot !== undefined) {
      expect(store.customers.checkPassword(row.id, want.passwordIsNot), `${where}: customer ${want.email} password is no longer ${want.passwordIsNot}`).toBe(false);
    }
    for (const [name, value] of Object.entries(want.attributes ?? {})) {
      const def = store.attributes.where((a) => a.name === name)[0];
      const held = def ? store.attributeValues.find(row.id, def.id)?.attribute_value : undefined;
      const actual = held === undefined || held === "" ? null : held;
      const r = matches(actual, value);
      expect(r.ok, `${where}: customer ${want.email} attribute ${name} ${r.why}, expected ${JSON.stringify(value)}`).toBe(true);
    }
  }
  for (const want of expected.groups ?? []) {
    const found = store.groups.where((g) => g.name.toLowerCase() === want.name.toLowerCase());
    expect(found.length > 0, `${where}: customer group "${want.name}" ${want.exists ?? true ? "exists" : "does not exist"}`).toBe(want.exists ?? true);
  }
}

/** Every replay also checks the audit trail: one event per SCIM write, with its outcome. */
const auditDir = mkdtempSync(path.join(tmpdir(), "recorded-audit-"));

async function replay(file: RecordedFile, name: string, running: RunningBridge[]): Promise<void> {
  const auditFile = path.join(auditDir, `${name.replace(/\//g, "-")}.jsonl`);
  const bridge = await startBridge({ SCIM_AUDIT_FILE: auditFile, ...(file.env ?? {}) });
  running.push(bridge);
  const writes: { resourceType: string; status: number }[] = [];
  const vars = new Map<string, string>();
  seed(bridge, file, vars);
  for (const [i, step] of file.steps.entries()) {
    const where = `${name} step ${i + 1} "${step.name}"`;
    const req = step.request;
    const headers: Record<string, string> = { Accept: "application/scim+json", ...(file.headers ?? {}), ...(req.headers ?? {}) };
    if (req.auth === undefined) Object.assign(headers, bridge.auth);
    else if (req.auth !== "none") headers.Authorization = interpolate(req.auth, vars);
    let body: string | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === "string" ? interpolate(req.body, vars) : JSON.stringify(interpolate(req.body, vars));
      headers["Content-Type"] ??= "application/scim+json; charset=utf-8";
    }
    const url = new URL(`${bridge.url}/scim/v2${interpolate(req.path, vars)}`);
    const res = await fetch(url, { method: req.method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const written = /^\/(Users|Groups)(\/[^/?]*)?(\?|$)/.exec(url.pathname.slice("/scim/v2".length) + url.search);
    if (["POST", "PUT", "PATCH", "DELETE"].includes(req.method) && written && res.status !== 401) {
      writes.push({ resourceType: written[1] === "Users" ? "User" : "Group", status: res.status });
    }
    const statuses = Array.isArray(step.expect.status) ? step.expect.status : [step.expect.status];
    expect(statuses, `${where}: ${req.method} ${url.pathname}${url.search} answered ${res.status} ${text.slice(0, 400)}`).toContain(res.status);
    for (const [p, want] of Object.entries(step.expect.body ?? {})) {
      const expected = interpolate(want, vars);
      const actual = readPath(json, p);
      const r = matches(actual, expected);
      expect(r.ok, `${where}: response ${p} ${r.why}, expected ${JSON.stringify(expected)}; body ${text.slice(0, 600)}`).toBe(true);
    }
    for (const [h, want] of Object.entries(step.expect.headers ?? {})) {
      const actual = res.headers.get(h) ?? undefined;
      const r = matches(actual, interpolate(want, vars));
      expect(r.ok, `${where}: response header ${h} ${r.why}, expected ${JSON.stringify(want)}`).toBe(true);
    }
    for (const [v, p] of Object.entries(step.expect.capture ?? {})) {
      const value = readPath(json, p);
      expect(value, `${where}: capture {{${v}}} from ${p}; body ${text.slice(0, 300)}`).not.toBeUndefined();
      vars.set(v, String(value));
    }
    if (step.store) checkStore(bridge, step, vars, where);
  }
  await expectAuditTrail(auditFile, writes, name);
}

async function expectAuditTrail(file: string, writes: readonly { resourceType: string; status: number }[], name: string): Promise<void> {
  const read = () => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>) : []);
  // An event is written once its answer has been sent: on a busy machine, a moment after the client has it.
  for (let i = 0; i < 100 && read().length < writes.length; i += 1) await new Promise((r) => setTimeout(r, 20));
  const events = read();
  expect(
    events.map((e) => [e.resourceType, e.status, e.outcome]),
    `${name}: the audit trail holds one event per SCIM write, in order`,
  ).toEqual(writes.map((w) => [w.resourceType, w.status, w.status < 400 ? "success" : "failure"]));
}

for (const idp of IDPS) {
  describe(`recorded ${idp} traffic`, () => {
    const running: RunningBridge[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((b) => b.close()));
    });
    for (const [name, file] of loadFiles(idp)) {
      if (file.knownIssue) it.fails(`${name}: ${file.description} [known issue: ${file.knownIssue}]`, () => replay(file, `${idp}/${name}`, running));
      else it(`${name}: ${file.description}`, () => replay(file, `${idp}/${name}`, running));
    }
  });
}
