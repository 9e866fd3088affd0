/**
 * Microsoft SCIM Validator scenarios, rebuilt from the raw exports of three validator runs
 * (entra/validator-captures/ezscim-scim-results-{01,02,07}.json, idp-clients.md §3.6, §5.1).
 *
 * For every test of every capture (PassedTests, FailedTests, PreviewTests, Warnings):
 *  1. its requests (InitialRequestBodies, then RequestBody — raw HTTP text) are parsed, the host
 *     and path prefix rewritten to ours, and the ids the captured server returned
 *     (InitialResponses) mapped to the ids our server returns;
 *  2. what the capture does not contain is rebuilt, each time labelled "synthesized":
 *     - resources the validator created outside the test (the user/group the filter tests look
 *       for, the user/group "Delete a …" deletes, the first copy for "Create a duplicate …") are
 *       created from the resource in the captured response, or from a generated body;
 *     - tests the captured server aborted at a setup POST (run 01 rejected `"primary":"true"`)
 *       are completed with the remaining steps of the same test in a later run (07, else 02);
 *  3. the checks named in Results[].Message are re-implemented (ListResponse shape, totalResults,
 *     "The value of X should be …"/"is Missing from the fetched Resource", "should exclude the
 *     attribute: members", 404 after delete, …) and the status class of each request asserted.
 *
 * Only attributes our /Schemas advertises are compared (the validator with schema discovery only
 * tests those); product decisions that make an advertised attribute differ are explicit entries
 * in validator-overrides.ts. Every scenario runs twice: with Entra's default request shape and
 * with the `aadOptscim062020` shape (lib/entra-shapes.ts), each on a fresh bridge.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startBridge, type RunningBridge } from "../../src/dev/bridge-harness.js";
import { shapePatch, shapeUrl, type EntraShape, type PatchBody } from "./lib/entra-shapes.js";
import { brief, send, type HttpResult } from "./lib/http.js";
import { SuiteReport, type CaseRecorder } from "./lib/report.js";
import { VALIDATOR_ATTRIBUTE_OVERRIDES, type AttributeOverride } from "./validator-overrides.js";

const CAPTURES = ["01", "02", "07"] as const;
const BUCKETS = ["PassedTests", "FailedTests", "PreviewTests", "Warnings"] as const;
const LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

// ---------------------------------------------------------------------------------------------
// Captures

interface CapturedTest {
  Name: string;
  Description: string;
  InitialRequestBodies?: string[] | null;
  InitialResponseStatuses?: string[] | null;
  InitialResponses?: (string | null)[] | null;
  RequestBody: string;
  ResponseStatus: string;
  ResponseBody?: string | null;
  Results?: { Message: string; Outcome: number }[] | null;
}

interface RawRequest {
  method: string;
  /** Path below the SCIM base, e.g. `/Users/abc`. */
  path: string;
  /** Raw query without `?` (as captured: `+` for spaces, raw quotes). */
  query: string;
  body?: unknown;
}

interface Loaded {
  file: string;
  bucket: string;
  test: CapturedTest;
  requests: RawRequest[];
  /** Captured status and parsed response of each request (initial ones, then the final one). */
  statuses: string[];
  responses: unknown[];
}

/** `METHOD URL 1.1` (or `HTTP/1.1`), header lines, then the JSON body (blank line optional). */
export function parseRawRequest(raw: string): RawRequest {
  const lines = raw.split(/\r?\n/);
  const first = (lines.shift() ?? "").trim().split(/\s+/);
  const method = first[0] ?? "GET";
  const url = first.length >= 3 ? first.slice(1, -1).join(" ") : (first[1] ?? "");
  let i = 0;
  while (i < lines.length && lines[i]!.trim() !== "" && !/^\s*[{[]/.test(lines[i]!)) i++;
  const bodyText = lines.slice(i).join("\n").trim();
  const m = /^https?:\/\/[^/]+(?:\/[^?]*?)??(\/(?:Users|Groups|Schemas|ResourceTypes|ServiceProviderConfig)\b[^?]*)(?:\?(.*))?$/i.exec(url);
  const req: RawRequest = { method, path: m?.[1] ?? url, query: m?.[2] ?? "" };
  if (bodyText) req.body = JSON.parse(bodyText) as unknown;
  return req;
}

function parseJson(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function loadCapture(sharedDir: string, run: string): Promise<Loaded[]> {
  const file = path.join(sharedDir, `scim-suites/entra/validator-captures/ezscim-scim-results-${run}.json`);
  const data = (JSON.parse(await readFile(file, "utf8")) as { results: { data: Record<string, unknown> } }).results.data;
  const out: Loaded[] = [];
  for (const bucket of BUCKETS) {
    const tests = data[bucket];
    if (!Array.isArray(tests)) continue;
    for (const test of tests as CapturedTest[]) {
      const raws = [...(test.InitialRequestBodies ?? []), test.RequestBody];
      out.push({
        file: run,
        bucket,
        test,
        requests: raws.map(parseRawRequest),
        statuses: [...(test.InitialResponseStatuses ?? []), test.ResponseStatus],
        responses: [...(test.InitialResponses ?? []).map(parseJson), parseJson(test.ResponseBody)],
      });
    }
  }
  return out;
}

/** Tests whose Description changed between validator versions, or was replaced by an error. */
function canonical(t: Loaded): string {
  const d = t.test.Description;
  if (d === "Patch User - Replace Attributes Verbose Request") return "Patch User - Replace Attributes";
  if (d === "Test filter Users") return "Create a new User";
  if (d.startsWith("POST request on User should return 201") && t.test.Name === "DELETE /Users/Id") return "Delete the same User twice";
  return d;
}

// ---------------------------------------------------------------------------------------------
// Scenario steps

interface Step {
  label: string;
  method: string;
  path: string;
  query: string;
  body?: unknown;
  /** Acceptable statuses. */
  expect: number[];
  /** Map this old id to the id of the created resource. */
  registers?: string;
  synthesized?: boolean;
}

function stepOf(req: RawRequest, expect: number[], registers?: string, synthesized = false): Step {
  const label = `${req.method} ${req.path}${req.query ? `?${req.query}` : ""}`;
  return { label, method: req.method, path: req.path, query: req.query, ...(req.body !== undefined ? { body: req.body } : {}), expect, ...(registers ? { registers } : {}), synthesized };
}

function idOf(v: unknown): string | undefined {
  return v && typeof v === "object" && typeof (v as { id?: unknown }).id === "string" ? (v as { id: string }).id : undefined;
}

const clone = <T>(v: T): T => structuredClone(v);

function letters(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(65 + Math.floor(Math.random() * 26));
  return s;
}

/** A POST /Users body in the validator's own shape (string "true" primaries and all). */
function generatedUser(prefix = ""): Record<string, unknown> {
  const local = `${prefix}${letters(8).toLowerCase()}`;
  return {
    externalId: randomUUID(),
    name: { formatted: letters(6), familyName: letters(6), givenName: letters(6), middleName: letters(6), honorificPrefix: letters(4), honorificSuffix: letters(4) },
    displayName: letters(12),
    nickName: letters(12),
    title: letters(12),
    active: true,
    emails: [{ primary: "true", value: `${letters(6).toLowerCase()}@${letters(6).toLowerCase()}.example` }],
    phoneNumbers: [{ primary: "true", value: `${Math.floor(Math.random() * 90) + 10}-${Math.floor(Math.random() * 900) + 100}-${Math.floor(Math.random() * 9000) + 1000}` }],
    userName: `${local}@${letters(8).toLowerCase()}.example`,
    schemas: [CORE_USER],
  };
}

function generatedGroup(): Record<string, unknown> {
  return { externalId: randomUUID(), displayName: letters(12), schemas: [CORE_GROUP] };
}

/** Turns a resource the captured server returned into a POST body (drops server-assigned parts). */
function bodyFromResource(resource: unknown, kind: "User" | "Group"): Record<string, unknown> {
  const r = clone(resource as Record<string, unknown>);
  for (const k of ["id", "meta", "groups", "customAttributes", "members"]) delete r[k];
  if (!Array.isArray(r.schemas)) r.schemas = [kind === "User" ? CORE_USER : CORE_GROUP];
  return r;
}

function firstResource(v: unknown): unknown {
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const list = o.Resources ?? o.resources;
  return Array.isArray(list) ? list[0] : idOf(v) ? v : undefined;
}

const isUserPost = (r: RawRequest) => r.method === "POST" && /^\/Users\/?$/i.test(r.path);
const isGroupPost = (r: RawRequest) => r.method === "POST" && /^\/Groups\/?$/i.test(r.path);

/** The captured requests as steps, each POST registering the id its captured response had. */
function capturedSteps(t: Loaded): Step[] {
  return t.requests.map((req, i) => {
    const old = req.method === "POST" ? idOf(t.responses[i]) : undefined;
    return stepOf(req, defaultExpect(req), old);
  });
}

function defaultExpect(req: RawRequest): number[] {
  switch (req.method) {
    case "POST":
      return [201];
    case "PATCH":
      return [200, 204];
    case "DELETE":
      return [204];
    default:
      return [200];
  }
}

/** The captured server rejected a setup POST and the validator stopped there (run 01). */
function aborted(t: Loaded, scenario: string): boolean {
  const last = t.requests[t.requests.length - 1]!;
  const postScenario = ["Create a duplicate User", "Create a new Group", "Create a duplicate Group"].includes(scenario);
  return last.method === "POST" && !postScenario && !t.statuses[t.statuses.length - 1]!.startsWith("2");
}

// ---------------------------------------------------------------------------------------------
// Schema discovery: which attribute paths the bridge advertises

interface SchemaAttribute {
  name: string;
  type: string;
  multiValued: boolean;
  mutability?: string;
  subAttributes?: SchemaAttribute[];
}

class Advertised {
  private readonly paths = new Map<string, SchemaAttribute>();

  constructor(schemas: { id: string; attributes: SchemaAttribute[] }[]) {
    for (const s of schemas) {
      const core = s.id === CORE_USER || s.id === CORE_GROUP;
      const add = (prefix: string, attrs: SchemaAttribute[]) => {
        for (const a of attrs) {
          const key = `${prefix}${a.name}`.toLowerCase();
          this.paths.set(`${s.id.toLowerCase()}|${key}`, a);
          if (a.subAttributes) add(`${prefix}${a.name}.`, a.subAttributes);
        }
      };
      add(core ? "" : `${s.id}:`, s.attributes);
    }
  }

  /** The schema attribute for `emails[...].value`-style paths of a resource, if advertised. */
  find(resource: "User" | "Group", attrPath: string): SchemaAttribute | undefined {
    const schema = resource === "User" ? CORE_USER : CORE_GROUP;
    const plain = attrPath.replace(/\[[^\]]*\]/g, "").toLowerCase();
    const direct = this.paths.get(`${schema.toLowerCase()}|${plain}`);
    if (direct) return direct;
    for (const [key, attr] of this.paths) {
      const [sid, p] = key.split("|") as [string, string];
      if (p === plain && (sid !== CORE_USER.toLowerCase() && sid !== CORE_GROUP.toLowerCase())) return attr;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading attributes from resources

/** Case-insensitive property read (RFC 7643 §2.1: attribute names are case-insensitive). */
function prop(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  if (name in o) return o[name];
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

function truthyPrimary(v: unknown): boolean {
  return v === true || (typeof v === "string" && v.toLowerCase() === "true");
}

/** Reads `userName`, `name.givenName`, `urn:…:User:department`, `emails[primary eq true].value`. */
export function readAttribute(resource: unknown, attrPath: string): unknown {
  const urn = /^(urn:[^[]*):([^:[.]+(?:\.[^:[.]+)?)$/i.exec(attrPath);
  if (urn && !attrPath.includes("[")) {
    const ext = prop(resource, urn[1]!);
    return readAttribute(ext, urn[2]!);
  }
  const filtered = /^([^[.]+)\[([^\]]*)\](?:\.(.+))?$/.exec(attrPath);
  if (filtered) {
    const list = prop(resource, filtered[1]!);
    if (!Array.isArray(list)) return undefined;
    const f = /^\s*(\w+)\s+eq\s+(?:"([^"]*)"|(\S+))\s*$/i.exec(filtered[2]!);
    const el = list.find((item) => {
      if (!f) return false;
      const actual = prop(item, f[1]!);
      const want = f[2] ?? f[3]!;
      return f[1]!.toLowerCase() === "primary" ? truthyPrimary(actual) === truthyPrimary(want) : String(actual).toLowerCase() === want.toLowerCase();
    });
    return filtered[3] ? prop(el, filtered[3]) : el;
  }
  let cur: unknown = resource;
  for (const part of attrPath.split(".")) cur = prop(cur, part);
  return cur;
}

const ABSENT = Symbol("absent");
type Expected = unknown | typeof ABSENT;

function sameValue(actual: unknown, expected: unknown, type: string | undefined): boolean {
  if (type === "boolean") return actual === (typeof expected === "string" ? expected.toLowerCase() === "true" : expected);
  if (typeof expected === "string" && typeof actual === "string") return actual === expected;
  return JSON.stringify(actual) === JSON.stringify(expected);
}

function isAbsent(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
}

// ---------------------------------------------------------------------------------------------
// Running one capture in one shape

interface RunContext {
  bridge: RunningBridge;
  shape: EntraShape;
  advertised: Advertised;
  /** Captured ids → ids our server returned. */
  ids: Map<string, string>;
  /** Resources created for tests that found them pre-existing (captured id or name → our id). */
  fixtures: Map<string, string>;
  templates: Map<string, Loaded>;
}

function substituteIds(text: string, ids: Map<string, string>): string {
  let out = text;
  for (const [old, now] of ids) out = out.split(old).join(now);
  return out;
}

async function perform(ctx: RunContext, rec: CaseRecorder, step: Step): Promise<HttpResult | null> {
  let pathAndQuery = substituteIds(`${step.path}${step.query ? `?${step.query}` : ""}`, ctx.ids);
  pathAndQuery = shapeUrl(pathAndQuery, ctx.shape);
  let body: unknown = step.body === undefined ? undefined : JSON.parse(substituteIds(JSON.stringify(step.body), ctx.ids));
  if (step.method === "PATCH" && body && typeof body === "object" && Array.isArray((body as PatchBody).Operations)) {
    body = shapePatch(body as PatchBody, ctx.shape);
  }
  const headers: Record<string, string> = { ...ctx.bridge.auth, Accept: "application/scim+json" };
  if (body !== undefined) headers["Content-Type"] = "application/scim+json; charset=utf-8";
  let res: HttpResult;
  try {
    res = await send({
      method: step.method,
      url: `${ctx.bridge.url}/scim/v2${pathAndQuery}`,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    rec.fail(`${step.label}`, (err as Error).message);
    return null;
  }
  const label = `${step.synthesized ? "[synthesized] " : ""}${step.method} ${pathAndQuery.length > 110 ? `${pathAndQuery.slice(0, 110)}…` : pathAndQuery} → ${step.expect.join("/")}`;
  const ok = rec.check(label, step.expect.includes(res.status), `${brief(res)}${body !== undefined ? `; sent ${JSON.stringify(body).slice(0, 400)}` : ""}`);
  if (ok && step.registers) {
    const id = idOf(res.json);
    if (id) ctx.ids.set(step.registers, id);
  }
  return res;
}

function overrideFor(resource: "User" | "Group", attribute: string): AttributeOverride | undefined {
  const plain = attribute.replace(/\[[^\]]*\]/g, "").toLowerCase();
  return VALIDATOR_ATTRIBUTE_OVERRIDES.find((o) => o.resource === resource && o.attribute.toLowerCase() === plain);
}

/**
 * "The value of X should be A instead of B" / "is Missing from the fetched Resource" / "should
 * not be in the fetched Resource", for each expected attribute the bridge advertises.
 */
function compareAttributes(
  ctx: RunContext,
  rec: CaseRecorder,
  resource: "User" | "Group",
  fetched: unknown,
  expected: Map<string, Expected>,
  userNameSet?: string,
): void {
  for (const [attr, want] of expected) {
    const lower = attr.toLowerCase();
    if (["schemas", "id", "meta", "password", "groups"].includes(lower)) continue;
    const common = lower === "externalid";
    const schemaAttr = common ? { name: "externalId", type: "string", multiValued: false } : ctx.advertised.find(resource, attr);
    const override = overrideFor(resource, attr);
    if (!schemaAttr) {
      rec.pass(`${attr}: not advertised in /Schemas — not checked`, "the validator with schema discovery only tests attributes /Schemas advertises");
      continue;
    }
    if (override?.action === "skip") {
      rec.pass(`${attr}: not compared`, override.reason);
      continue;
    }
    let target = want;
    let note: string | undefined;
    if (override?.action === "expectUserName" && userNameSet !== undefined && want !== ABSENT) {
      target = userNameSet;
      note = override.reason;
    }
    const actual = readAttribute(fetched, attr);
    if (target === ABSENT) {
      rec.check(`The value of ${attr} should not be in the fetched Resource`, isAbsent(actual), `found ${JSON.stringify(actual)}`);
    } else if (actual === undefined) {
      rec.fail(`The value of ${attr} is in the fetched Resource`, `The value of ${attr} is Missing from the fetched Resource`);
    } else {
      const ok = sameValue(actual, target, schemaAttr.type);
      rec.check(
        `The value of ${attr} is ${JSON.stringify(target)}${note ? " (userName wins)" : ""}`,
        ok,
        `The value of ${attr} should be ${JSON.stringify(target)} instead of ${JSON.stringify(actual)}`,
        note,
      );
    }
  }
}

/** Attributes a POST body sets, as attribute paths (emails → emails[primary eq true].value). */
function expectedFromBody(body: Record<string, unknown>): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const [k, v] of Object.entries(body)) {
    if (k === "schemas" || v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      const primary = v.find((x) => truthyPrimary(prop(x, "primary"))) ?? v[0];
      if (primary && typeof primary === "object" && prop(primary, "value") !== undefined) out.set(`${k}[primary eq true].value`, prop(primary, "value"));
    } else if (typeof v === "object" && !k.startsWith("urn:")) {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) if (sv !== null) out.set(`${k}.${sk}`, sv);
    } else if (typeof v === "object") {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) if (sv !== null && typeof sv !== "object") out.set(`${k}:${sk}`, sv);
    } else {
      out.set(k, v);
    }
  }
  return out;
}

/** The state a sequence of PatchOp operations asks for, attribute by attribute, in order. */
function expectedFromPatch(ops: { op: string; path?: string; value?: unknown }[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const o of ops) {
    const op = o.op.toLowerCase();
    if (o.path === undefined) {
      if (o.value && typeof o.value === "object") for (const [k, v] of Object.entries(o.value)) out.set(k, v);
      continue;
    }
    out.set(o.path, op === "remove" ? ABSENT : o.value);
  }
  return out;
}

async function fetchResource(ctx: RunContext, rec: CaseRecorder, kind: "Users" | "Groups", oldId: string): Promise<unknown> {
  const res = await perform(ctx, rec, { label: "", method: "GET", path: `/${kind}/${oldId}`, query: "", expect: [200] });
  return res?.status === 200 ? res.json : undefined;
}

/** The ListResponse checks of the "Filter for …" tests. */
function listChecks(
  ctx: RunContext,
  rec: CaseRecorder,
  res: HttpResult,
  o: { resource: "User" | "Group"; expectedIds: string[]; created?: Record<string, unknown>; excludeMembers: boolean },
): void {
  const body = res.json as Record<string, unknown> | undefined;
  const plural = o.resource === "User" ? "Users" : "Groups";
  const schemas = prop(body, "schemas");
  const total = prop(body, "totalResults");
  rec.check(
    "The response should contain the required attributes for a list response, i.e. schemas and totalResults",
    Array.isArray(schemas) && typeof total === "number",
    brief(res),
  );
  rec.check("The response should contain the correct schema URI for a list response", Array.isArray(schemas) && schemas.includes(LIST_RESPONSE), `schemas ${JSON.stringify(schemas)}`);
  rec.check(`Total Results should be equal to the count of all the ${plural} that match the filter`, total === o.expectedIds.length, `totalResults ${JSON.stringify(total)}, expected ${o.expectedIds.length}`);
  const resources = prop(body, "Resources");
  const list = Array.isArray(resources) ? (resources as Record<string, unknown>[]) : [];
  if (o.expectedIds.length > 0) {
    rec.check("The response should contain the Resources attribute when totalResults is non-zero", Array.isArray(resources) && list.length > 0, brief(res));
    const ids = list.map((r) => r.id);
    rec.check(`The response should contain all the ${plural} that match the filter`, o.expectedIds.every((id) => ids.includes(id)), `ids ${JSON.stringify(ids)}, expected ${JSON.stringify(o.expectedIds)}`);
    const required = o.resource === "User" ? ["id", "userName"] : ["id", "displayName"];
    rec.check(
      `The response should contain all the required fields for ${plural}`,
      list.length > 0 && list.every((r) => required.every((k) => !isAbsent(prop(r, k)))),
      `required ${required.join(", ")}`,
    );
    if (o.created) {
      const found = list.find((r) => r.id === o.expectedIds[0]);
      const expected = expectedFromBody(o.created);
      if (o.excludeMembers) expected.delete("members");
      compareAttributes(ctx, rec, o.resource, found, expected, o.resource === "User" ? (o.created.userName as string | undefined) : undefined);
      rec.pass("The response should match the created resource (attributes above)");
    }
  }
  if (o.excludeMembers) {
    rec.check("The response should exclude the attribute: members", list.every((r) => prop(r, "members") === undefined), `members present: ${JSON.stringify(list.map((r) => prop(r, "members")))}`);
  }
  const schemaUri = o.resource === "User" ? CORE_USER : CORE_GROUP;
  rec.check(
    `The response should contain be serialized to SCIM2 Core ${o.resource}`,
    Array.isArray(resources) ? list.every((r) => Array.isArray(r.schemas) && (r.schemas as string[]).includes(schemaUri)) : total === 0,
    `Resources ${JSON.stringify(resources)?.slice(0, 200)}`,
  );
}

/** Finds the same test in a later run whose capture is complete (07 first, then 02). */
function templateFor(ctx: RunContext, scenario: string): Loaded | undefined {
  return ctx.templates.get(scenario);
}

/**
 * The steps of a test whose captured server stopped at a setup POST: the template's steps, with
 * the template's POST /Users bodies replaced (in order) by the ones this capture sent.
 */
function completedFromTemplate(t: Loaded, template: Loaded): Step[] {
  const own = t.requests.filter(isUserPost).map((r) => r.body as Record<string, unknown>);
  const renames: [string, string][] = [];
  let k = 0;
  const steps = capturedSteps(template).map((s) => {
    if (isUserPost(s) && k < own.length) {
      const mine = own[k++]!;
      const theirs = (s.body as Record<string, unknown>).userName;
      if (typeof theirs === "string" && typeof mine.userName === "string") renames.push([theirs, mine.userName]);
      return { ...s, body: mine };
    }
    return { ...s, synthesized: true };
  });
  // Later steps that name the template's users (a filter on userName) name ours instead.
  for (const s of steps) {
    if (isUserPost(s)) continue;
    for (const [from, to] of renames) {
      s.query = s.query.split(from).join(to).split(encodeURIComponent(from)).join(encodeURIComponent(to));
      if (s.body !== undefined) s.body = JSON.parse(JSON.stringify(s.body).split(from).join(to)) as unknown;
    }
  }
  return steps;
}

async function ensureFixture(ctx: RunContext, rec: CaseRecorder, kind: "User" | "Group", resource: unknown, fallbackOldId?: string): Promise<void> {
  const oldId = idOf(resource) ?? fallbackOldId;
  const key = oldId ?? JSON.stringify(resource);
  if (ctx.fixtures.has(key)) {
    if (oldId) ctx.ids.set(oldId, ctx.fixtures.get(key)!);
    return;
  }
  const body = resource ? bodyFromResource(resource, kind) : kind === "User" ? generatedUser() : generatedGroup();
  const step: Step = { label: "", method: "POST", path: kind === "User" ? "/Users" : "/Groups", query: "", body, expect: [201], synthesized: true, ...(oldId ? { registers: oldId } : {}) };
  const res = await perform(ctx, rec, step);
  const id = idOf(res?.json);
  if (id) ctx.fixtures.set(key, id);
}

async function runScenario(ctx: RunContext, rec: CaseRecorder, t: Loaded, scenario: string): Promise<void> {
  const last = t.requests[t.requests.length - 1]!;
  let steps: Step[];
  if (aborted(t, scenario)) {
    const template = templateFor(ctx, scenario);
    if (!template) {
      rec.fail("scenario", `captured server aborted the test and no complete capture of '${scenario}' exists`);
      return;
    }
    steps = completedFromTemplate(t, template);
  } else {
    steps = capturedSteps(t);
  }
  const finalStep = steps[steps.length - 1]!;
  const responseResource = firstResource(t.responses[t.responses.length - 1]);

  const run = async (list: Step[]): Promise<HttpResult[]> => {
    const out: HttpResult[] = [];
    for (const s of list) {
      const res = await perform(ctx, rec, s);
      if (!res) break;
      out.push(res);
    }
    return out;
  };

  switch (scenario) {
    case "Create a new User": {
      const post = steps.find((s) => isUserPost(s));
      if (!post) return rec.fail("scenario", "no POST /Users in the capture");
      const body = post.body as Record<string, unknown>;
      if (!steps.some((s) => s.method === "GET")) {
        steps.push({ ...stepOf({ method: "GET", path: "/Users", query: `filter=userName+eq+"${encodeURIComponent(String(body.userName))}"` }, [200]), synthesized: true });
      }
      const res = await run(steps);
      const created = res[0];
      if (created?.status === 201) rec.check("POST returned the created resource with an id", idOf(created.json) !== undefined, brief(created));
      const list = res[res.length - 1];
      if (res.length === steps.length && list && created) {
        listChecks(ctx, rec, list, { resource: "User", expectedIds: [idOf(created.json) ?? "?"], created: body, excludeMembers: false });
      }
      return;
    }
    case "Create a duplicate User":
    case "Create a duplicate Group": {
      const first = { ...finalStep, expect: [201], synthesized: true, label: `${finalStep.label} (first copy)` };
      await run([first, { ...finalStep, expect: [409] }]);
      return;
    }
    case "Filter for an existing user":
    case "Filter for an existing user with a different case":
    case "Filter for a non-existing user": {
      const existing = scenario !== "Filter for a non-existing user";
      if (existing) await ensureFixture(ctx, rec, "User", responseResource);
      const [res] = await run([finalStep]);
      if (!res) return;
      const oldId = idOf(responseResource);
      const expectedIds = existing && oldId ? [ctx.ids.get(oldId) ?? "?"] : [];
      listChecks(ctx, rec, res, {
        resource: "User",
        expectedIds,
        ...(existing && responseResource ? { created: bodyFromResource(responseResource, "User") } : {}),
        excludeMembers: false,
      });
      return;
    }
    case "Filter for an existing group":
    case "Filter for an existing group with a different case":
    case "Filter for an existing group by displayName excluding members":
    case "Filter for a non-existing group": {
      const existing = scenario !== "Filter for a non-existing group";
      if (existing) await ensureFixture(ctx, rec, "Group", responseResource);
      const [res] = await run([finalStep]);
      if (!res) return;
      const oldId = idOf(responseResource);
      listChecks(ctx, rec, res, {
        resource: "Group",
        expectedIds: existing && oldId ? [ctx.ids.get(oldId) ?? "?"] : [],
        ...(existing && responseResource ? { created: bodyFromResource(responseResource, "Group") } : {}),
        excludeMembers: /excludedAttributes=members/i.test(finalStep.query),
      });
      return;
    }
    case "Get group by id excluding members": {
      const oldId = /^\/Groups\/([^/]+)$/.exec(finalStep.path)?.[1];
      await ensureFixture(ctx, rec, "Group", responseResource, oldId);
      const [res] = await run([finalStep]);
      if (!res || res.status !== 200) return;
      rec.check("The response should exclude the attribute: members", prop(res.json, "members") === undefined, brief(res));
      rec.check("The response is the requested group", oldId !== undefined && idOf(res.json) === ctx.ids.get(oldId), brief(res));
      if (responseResource) {
        const expected = expectedFromBody(bodyFromResource(responseResource, "Group"));
        compareAttributes(ctx, rec, "Group", res.json, expected);
      }
      return;
    }
    case "Update User userName":
    case "Patch User - Replace Attributes":
    case "Patch User - Disable User":
    case "Patch User - Multiple Operations on different attributes":
    case "Patch User - Multiple Operations on same attribute": {
      const post = steps.find(isUserPost);
      const patch = steps.find((s) => s.method === "PATCH");
      if (!post || !patch || !post.registers) return rec.fail("scenario", "capture lacks the POST /Users or the PATCH");
      const res = await run(steps);
      if (res.length !== steps.length) return;
      const ops = (patch.body as PatchBody).Operations;
      const fetched = await fetchResource(ctx, rec, "Users", post.registers);
      if (fetched === undefined) return;
      const expected = expectedFromPatch(ops);
      const userNameSet = expected.get("userName");
      compareAttributes(ctx, rec, "User", fetched, expected, typeof userNameSet === "string" ? userNameSet : undefined);
      return;
    }
    case "Delete a User":
    case "Delete a Group": {
      const kind = scenario === "Delete a User" ? "User" : "Group";
      const plural = `${kind}s`;
      const getStep = steps.find((s) => s.method === "GET" && new RegExp(`^/${plural}/[^/]+$`).test(s.path));
      const oldId = getStep ? getStep.path.split("/")[2]! : `deleted-${randomUUID()}`;
      const own = steps.find((s) => (kind === "User" ? isUserPost(s) : isGroupPost(s)));
      const create: Step = own
        ? { ...own, registers: oldId }
        : { label: "", method: "POST", path: `/${plural}`, query: "", body: kind === "User" ? generatedUser() : generatedGroup(), expect: [201], registers: oldId, synthesized: true };
      const del: Step = { label: "", method: "DELETE", path: `/${plural}/${oldId}`, query: "", expect: [204], synthesized: true };
      const get: Step = getStep ? { ...getStep, expect: [404] } : { label: "", method: "GET", path: `/${plural}/${oldId}`, query: "", expect: [404], synthesized: true };
      await run([create, del, get]);
      return;
    }
    case "Delete a non-existent User":
    case "Delete a non-existent Group": {
      const res = await run([{ ...finalStep, expect: [404] }]);
      if (res[0]) rec.check("DELETE request on a non-existent resource returns 404 NotFound as expected", res[0].status === 404, brief(res[0]));
      // The captured id is a GUID, which the bridge rejects before asking BigCommerce; a
      // well-formed id that was never issued must be 404 too.
      const plural = scenario.endsWith("User") ? "Users" : "Groups";
      await run([{ label: "", method: "DELETE", path: `/${plural}/987654321`, query: "", expect: [404], synthesized: true }]);
      return;
    }
    case "Delete the same User twice":
    case "Delete the same Group twice": {
      const kind = scenario.includes("User") ? "User" : "Group";
      const plural = `${kind}s`;
      const create = steps.find((s) => (kind === "User" ? isUserPost(s) : isGroupPost(s)));
      if (!create) return rec.fail("scenario", "capture lacks the POST");
      const oldId = create.registers ?? `created-${randomUUID()}`;
      const del: Step = { label: "", method: "DELETE", path: `/${plural}/${oldId}`, query: "", expect: [204] };
      await run([{ ...create, registers: oldId }, { ...del }, { ...del, expect: [404] }]);
      return;
    }
    case "Create a new Group": {
      const [res] = await run([finalStep]);
      if (res?.status !== 201) return;
      const body = finalStep.body as Record<string, unknown>;
      rec.check("POST returned the created group with an id", idOf(res.json) !== undefined, brief(res));
      compareAttributes(ctx, rec, "Group", res.json, expectedFromBody(body));
      return;
    }
    case "Patch Group - Replace Attributes":
    case "Update Group displayName": {
      const post = steps.find(isGroupPost);
      const patch = steps.find((s) => s.method === "PATCH");
      if (!post?.registers || !patch) return rec.fail("scenario", "capture lacks the POST /Groups or the PATCH");
      const res = await run(steps);
      if (res.length !== steps.length) return;
      const fetched = await fetchResource(ctx, rec, "Groups", post.registers);
      if (fetched === undefined) return;
      compareAttributes(ctx, rec, "Group", fetched, expectedFromPatch((patch.body as PatchBody).Operations));
      return;
    }
    case "Patch Group - Add Member":
    case "Patch Group - Remove Member":
    case "Patch Group - Multiple Operations on same attribute": {
      const group = steps.find(isGroupPost);
      const users = steps.filter(isUserPost).map((s) => s.registers);
      if (!group?.registers || users.some((u) => !u)) return rec.fail("scenario", "capture lacks the POST /Groups or a POST /Users");
      const res = await run(steps);
      if (res.length !== steps.length) return;
      const fetched = await fetchResource(ctx, rec, "Groups", group.registers);
      if (fetched === undefined) return;
      const members = prop(fetched, "members");
      const actual = Array.isArray(members) ? members.map((m) => String(prop(m, "value"))).sort() : [];
      const ours = users.map((u) => ctx.ids.get(u!) ?? u!);
      const want =
        scenario === "Patch Group - Add Member" ? [ours[0]!] : scenario === "Patch Group - Remove Member" ? ours.slice(1) : [];
      rec.check(
        scenario === "Patch Group - Multiple Operations on same attribute" ? "The member added then removed is not a member" : `members are ${JSON.stringify(want)}`,
        JSON.stringify(actual) === JSON.stringify([...want].sort()),
        `members ${JSON.stringify(actual)}`,
      );
      return;
    }
    default:
      rec.fail("scenario", `no scenario for '${scenario}' (${last.method} ${last.path})`);
  }
}

async function discover(bridge: RunningBridge): Promise<Advertised> {
  const res = await send({ method: "GET", url: `${bridge.url}/scim/v2/Schemas`, headers: bridge.auth });
  const list = (res.json as { Resources?: { id: string; attributes: SchemaAttribute[] }[] }).Resources ?? [];
  return new Advertised(list);
}

export async function runValidator(sharedDir: string): Promise<SuiteReport[]> {
  const captures = new Map<string, Loaded[]>();
  for (const run of CAPTURES) captures.set(run, await loadCapture(sharedDir, run));

  // Complete captures of each scenario, newest run first: the templates for aborted tests.
  const templates = new Map<string, Loaded>();
  for (const run of [...CAPTURES].reverse()) {
    for (const t of captures.get(run)!) {
      const scenario = canonical(t);
      if (!templates.has(scenario) && !aborted(t, scenario)) templates.set(scenario, t);
    }
  }

  const reports: SuiteReport[] = [];
  for (const shape of ["default", "aadOptscim062020"] as const) {
    const report = new SuiteReport(`Microsoft SCIM Validator scenarios (${shape === "default" ? "default Entra shape" : "aadOptscim062020 shape"})`);
    report.note("rule: only attributes advertised by GET /Schemas are compared (the validator with schema discovery tests only those); externalId is a common attribute (RFC 7643 §3.1) and always compared");
    for (const o of VALIDATOR_ATTRIBUTE_OVERRIDES) report.note(`override: ${o.resource}.${o.attribute} ${o.action === "skip" ? "not compared" : "compared with the userName the request set"} — ${o.reason}`);
    for (const run of CAPTURES) {
      const tests = captures.get(run)!;
      const aborts = tests.filter((t) => aborted(t, canonical(t))).length;
      report.note(`capture ${run}: ${tests.length} tests${aborts > 0 ? ` (${aborts} stopped at a setup request by the captured server, completed from a later run)` : ""}`);
      const bridge = await startBridge();
      try {
        const ctx: RunContext = { bridge, shape, advertised: await discover(bridge), ids: new Map(), fixtures: new Map(), templates };
        for (const t of captures.get(run)!) {
          const scenario = canonical(t);
          const rec = report.begin(`run ${run} ${t.bucket.replace("Tests", "")}: ${t.test.Name} | ${t.test.Description}`);
          if (scenario !== t.test.Description) rec.pass(`scenario: ${scenario}`, "the captured Description differs (renamed test or the captured server's error message)");
          if (aborted(t, scenario)) rec.pass(`completed from run ${templates.get(scenario)?.file ?? "?"}`, "the captured server rejected a setup request and the validator stopped there");
          await runScenario(ctx, rec, t, scenario);
        }
      } finally {
        await bridge.close();
      }
    }
    reports.push(report);
  }
  return reports;
}
