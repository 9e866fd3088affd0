/**
 * Microsoft's SCIMReferenceCode Postman collection, replayed request by request with our own
 * runner: `{{var}}` interpolation from an environment (Protocol, Server, Port, Api, token), the
 * request's bearer auth, then its `pm.test` scripts in a `node:vm` sandbox (lib/pm-sandbox.ts).
 * Steps the bridge answers differently for a documented reason are changed by the overrides in
 * postman-overrides.ts, each applied verbatim (a text replacement that no longer matches is a
 * failure, so overrides cannot rot silently).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startBridge, TEST_TOKEN, STORE_HASH, type RunningBridge } from "../../src/dev/bridge-harness.js";
import { brief, send, type HttpResult } from "./lib/http.js";
import { runPostmanScript } from "./lib/pm-sandbox.js";
import { SuiteReport, type CaseRecorder } from "./lib/report.js";
import { POSTMAN_OVERRIDES, type PostmanOverride, type TextEdit } from "./postman-overrides.js";

interface PostmanEvent {
  listen: "prerequest" | "test";
  script: { exec: string[] | string };
}

interface PostmanRequest {
  method: string;
  url: string | { raw: string };
  header?: { key: string; value: string; disabled?: boolean }[];
  body?: { mode?: string; raw?: string };
  auth?: { type: string; bearer?: { key: string; value: string }[] } | null;
}

interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: PostmanRequest;
  event?: PostmanEvent[];
}

export interface FlatStep {
  /** "Folder / Request name", with " #2" … for repeated names. */
  key: string;
  item: PostmanItem;
  request: PostmanRequest;
}

export function flatten(items: PostmanItem[], prefix = "", out: FlatStep[] = [], seen = new Map<string, number>()): FlatStep[] {
  for (const it of items) {
    if (it.item) {
      flatten(it.item, `${prefix}${it.name} / `, out, seen);
      continue;
    }
    if (!it.request) continue;
    const base = `${prefix}${it.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    out.push({ key: n === 1 ? base : `${base} #${n}`, item: it, request: it.request });
  }
  return out;
}

function interpolate(text: string, env: Map<string, string>): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => env.get(name) ?? whole);
}

function scriptOf(item: PostmanItem, listen: PostmanEvent["listen"]): string {
  return (item.event ?? [])
    .filter((e) => e.listen === listen)
    .map((e) => (Array.isArray(e.script.exec) ? e.script.exec.join("\n") : e.script.exec))
    .join("\n");
}

/** Applies text edits; an edit whose `from` is absent is reported (the override no longer fits). */
function applyEdits(text: string, edits: TextEdit[] | undefined, what: string, rec: CaseRecorder): string {
  let out = text;
  for (const [from, to] of edits ?? []) {
    if (!out.includes(from)) {
      rec.fail(`override applies to ${what}`, `text ${JSON.stringify(from)} not found`);
      continue;
    }
    out = out.split(from).join(to);
  }
  return out;
}

/**
 * Customer and group ids start above 10000 so that a test like `response.text() includes id`
 * cannot pass by accident on a digit that happens to occur in a date or count.
 */
function bumpIds(bridge: RunningBridge): void {
  const store = bridge.emulator.store(STORE_HASH);
  const customers = [];
  for (let i = 0; i < 10_000; i++) customers.push(store.customers.insert({ email: `bump${i}@example.invalid`, first_name: "B", last_name: "B" }).id);
  store.deleteCustomers(customers);
  for (let i = 0; i < 10_000; i++) store.groups.delete(store.groups.insert({ name: `bump${i}` }).id);
}

export async function runPostman(sharedDir: string): Promise<SuiteReport> {
  const report = new SuiteReport("Microsoft SCIMReferenceCode Postman collection");
  const file = path.join(sharedDir, "scim-suites/entra/SCIMReferenceCode-PostmanCollection.json");
  const collection = JSON.parse(await readFile(file, "utf8")) as { item: PostmanItem[]; event?: PostmanEvent[] };
  const steps = flatten(collection.item);
  const overrides = new Map<string, PostmanOverride>(POSTMAN_OVERRIDES.map((o) => [o.step, o]));
  for (const o of POSTMAN_OVERRIDES) {
    if (!steps.some((s) => s.key === o.step)) report.note(`override for unknown step '${o.step}'`);
  }

  const bridge = await startBridge();
  try {
    bumpIds(bridge);
    const port = new URL(bridge.url).port;
    const env = new Map<string, string>([
      ["Protocol", "http"],
      ["Server", "127.0.0.1"],
      ["Port", `:${port}`],
      ["Api", "scim/v2"],
      ["token", TEST_TOKEN],
    ]);
    const collectionPre = scriptOf({ name: "", event: collection.event ?? [] }, "prerequest");
    const collectionTest = scriptOf({ name: "", event: collection.event ?? [] }, "test");

    for (const step of steps) {
      const o = overrides.get(step.key);
      if (o?.skip) {
        report.skip(step.key, `${o.change} (${o.reason})`);
        continue;
      }
      const rec = report.begin(step.key);
      if (o) rec.pass(`override: ${o.change}`, o.reason);

      const pre = [collectionPre, scriptOf(step.item, "prerequest")].join("\n");
      if (pre.trim()) {
        const out = runPostmanScript(pre, null, env);
        if (out.scriptError) rec.fail("pre-request script", out.scriptError);
      }

      const req = step.request;
      const rawUrl = applyEdits(typeof req.url === "string" ? req.url : req.url.raw, o?.url, "url", rec);
      const headers: Record<string, string> = {};
      for (const h of req.header ?? []) if (!h.disabled) headers[h.key] = interpolate(h.value, env);
      if (req.auth?.type === "bearer") {
        const token = req.auth.bearer?.find((b) => b.key === "token")?.value ?? "";
        headers.Authorization = `Bearer ${interpolate(token, env)}`;
      }
      const rawBody = req.body?.mode === "raw" && req.body.raw !== undefined ? req.body.raw : undefined;
      const body = rawBody === undefined ? undefined : interpolate(applyEdits(rawBody, o?.body, "body", rec), env);
      const url = interpolate(rawUrl, env);

      let res: HttpResult;
      try {
        res = await send({ method: req.method, url, headers, ...(body !== undefined ? { body } : {}) });
      } catch (err) {
        rec.fail(`${req.method} ${url}`, (err as Error).message);
        continue;
      }

      const testSource = applyEdits([collectionTest, scriptOf(step.item, "test")].join("\n"), o?.script, "test script", rec);
      const full = o?.addTests ? `${testSource}\n${o.addTests}` : testSource;
      if (!full.trim()) {
        // Requests without tests still have to succeed at the HTTP level to be a meaningful step.
        rec.check(`${req.method} answered`, res.status < 500, brief(res));
        if (o?.expectStatus !== undefined) rec.check(`status ${o.expectStatus}`, res.status === o.expectStatus, brief(res));
        continue;
      }
      const out = runPostmanScript(full, res, env);
      for (const t of out.tests) rec.check(t.name, t.ok, `${t.error ?? ""}; response ${brief(res, 240)}`);
      if (out.scriptError) rec.fail("test script ran to the end", `${out.scriptError}; response ${brief(res, 240)}`);
      if (o?.expectStatus !== undefined) rec.check(`status ${o.expectStatus}`, res.status === o.expectStatus, brief(res));
    }
  } finally {
    await bridge.close();
  }
  report.note(`${POSTMAN_OVERRIDES.length} overrides (postman-overrides.ts); run with --verbose to see each with its reason`);
  return report;
}
