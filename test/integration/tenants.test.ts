import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { OPERATOR_TOKEN, startTenants, tenantEntry, tenantToken, type RunningTenants } from "../../src/dev/tenants-harness.js";
import { CORE, ENT, newUser } from "./helpers.js";

/**
 * Many stores in one process (SCIM_TENANTS_FILE, src/tenants): each tenant at /t/<id>/scim/v2 on
 * its own store of one emulator, everything over HTTP.
 */
const A_TOKEN_FROM_ENV = "acme-eu-token-from-the-environment";
const B_TOKEN_IN_FILE = "brand-b-token-read-from-a-file";

function tenantsFile(emulator: Pick<RunningEmulator, "url">, extra: unknown[] = []) {
  return {
    tenants: [
      // Secrets by reference: the store token from the environment, SCIM tokens as a digest or a file.
      tenantEntry(emulator, "acme-eu", {
        accessToken: { env: "ACME_EU_STORE_TOKEN" },
        scimTokens: [{ sha256: createHash("sha256").update(A_TOKEN_FROM_ENV).digest("hex") }],
        settings: { SCIM_STORED_ATTRIBUTES: "costCenter", SCIM_DELETE_MODE: "deactivate" },
      }),
      tenantEntry(emulator, "brand-b", { scimTokens: [{ file: "brand-b.token" }] }),
      ...extra,
    ],
  };
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const A = auth(A_TOKEN_FROM_ENV);
const B = auth(B_TOKEN_IN_FILE);

let t: RunningTenants;
const scim = (tenant: string) => `${t.url}/t/${tenant}/scim/v2`;
const get = (tenant: string, path: string, headers: Record<string, string>) => request(scim(tenant)).get(path).set(headers);
const post = (tenant: string, path: string, body: unknown, headers: Record<string, string>) =>
  request(scim(tenant)).post(path).set(headers).set("Content-Type", "application/scim+json").send(JSON.stringify(body));

beforeAll(async () => {
  t = await startTenants((emulator) => tenantsFile(emulator), {
    // Many refusals from this one address on purpose: past the failed-authentication limit they would be 429s.
    env: { ACME_EU_STORE_TOKEN: "emulator-token", AUTH_FAILURE_LIMIT: "1000" },
    // The emulator refuses any other store token, so a tenant with a wrong one fails as in production.
    emulator: { accessToken: "emulator-token" },
    files: { "brand-b.token": `${B_TOKEN_IN_FILE}\n` },
    pollMs: 100,
    retryMs: 300,
  });
});

afterAll(async () => {
  await t?.close();
});

/** Polls until `check` holds (the bridge notices the file by itself); fails after `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("did not happen in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("two tenants on two stores", () => {
  it("the same email is created in both, each in its own store", async () => {
    const email = "same.person@example.com";
    const inA = await post("acme-eu", "/Users", newUser(email), A);
    const inB = await post("brand-b", "/Users", newUser(email), B);
    expect(inA.status, JSON.stringify(inA.body)).toBe(201);
    expect(inB.status, JSON.stringify(inB.body)).toBe(201);
    expect(inA.body.meta.location).toBe(`${scim("acme-eu")}/Users/${inA.body.id}`);
    expect(inB.body.meta.location).toBe(`${scim("brand-b")}/Users/${inB.body.id}`);
    expect(t.emulator.store("acmeeustore").customers.where((c) => c.email === email)).toHaveLength(1);
    expect(t.emulator.store("brandbstore").customers.where((c) => c.email === email)).toHaveLength(1);
  });

  it("each token is refused on the other's path, and an unknown tenant answers as a wrong token does", async () => {
    const wrongTenant = await get("brand-b", "/Users", A);
    const otherWay = await get("acme-eu", "/Users", B);
    const unknown = await get("nobody", "/Users", A);
    for (const res of [wrongTenant, otherWay, unknown]) {
      expect(res.status).toBe(401);
      expect(res.headers["content-type"]).toMatch(/application\/scim\+json/);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="scim", error="invalid_token"');
    }
    // Nothing tells a known tenant from an unknown one.
    expect(unknown.body).toEqual(wrongTenant.body);
    const noTokenKnown = await request(scim("acme-eu")).get("/Users");
    const noTokenUnknown = await request(scim("nobody")).get("/Users");
    expect(noTokenKnown.status).toBe(401);
    expect(noTokenUnknown.body).toEqual(noTokenKnown.body);
    expect(noTokenUnknown.headers["www-authenticate"]).toBe(noTokenKnown.headers["www-authenticate"]);
    // The process's own token opens no tenant.
    expect((await get("acme-eu", "/Users", auth(OPERATOR_TOKEN))).status).toBe(401);
    // The single-store path does not exist here.
    expect((await request(t.url).get("/scim/v2/Users").set(A)).status).toBe(404);
  });

  it("sign-in routes are the tenant's own, under /t/<id>/sso, and an unknown tenant's look like a tenant without sign-in", async () => {
    const known = await request(t.url).get("/t/acme-eu/sso/login");
    const unknown = await request(t.url).get("/t/nobody/sso/login");
    expect(known.status).toBe(404);
    expect(known.text).toContain("Storefront sign-in is not configured");
    expect(unknown.status).toBe(known.status);
    expect(unknown.text).toBe(known.text);
  });

  it("B cannot find or read A's users, by filter or by id", async () => {
    const onlyInA = await post("acme-eu", "/Users", newUser("only.in.a@example.com"), A);
    expect(onlyInA.status).toBe(201);
    const idInA = onlyInA.body.id as string;
    expect(t.emulator.store("brandbstore").customers.get(Number(idInA))).toBeUndefined();

    const byFilter = await get("brand-b", `/Users?filter=${encodeURIComponent('userName eq "only.in.a@example.com"')}`, B);
    expect(byFilter.status).toBe(200);
    expect(byFilter.body.totalResults).toBe(0);
    const byId = await get("brand-b", `/Users/${idInA}`, B);
    expect(byId.status).toBe(404);
    const all = await get("brand-b", "/Users", B);
    expect(all.body.Resources.map((u: { userName: string }) => u.userName)).not.toContain("only.in.a@example.com");
    // A does see it.
    expect((await get("acme-eu", `/Users/${idInA}`, A)).status).toBe(200);
  });

  it("each tenant's /Schemas follows its own settings", async () => {
    const names = async (tenant: string, headers: Record<string, string>) => {
      const res = await get(tenant, `/Schemas/${ENT}`, headers);
      expect(res.status).toBe(200);
      expect(res.body.meta.location).toBe(`${scim(tenant)}/Schemas/${ENT}`);
      return res.body.attributes.map((a: { name: string }) => a.name) as string[];
    };
    expect(await names("acme-eu", A)).toContain("costCenter");
    expect(await names("brand-b", B)).not.toContain("costCenter");
    const core = await get("brand-b", `/Schemas/${CORE}`, B);
    expect(core.status).toBe(200);
  });

  it("each tenant's settings apply to its store only (SCIM_DELETE_MODE)", async () => {
    const a = await post("acme-eu", "/Users", newUser("leaver@example.com"), A);
    const b = await post("brand-b", "/Users", newUser("leaver@example.com"), B);
    expect((await request(scim("acme-eu")).delete(`/Users/${a.body.id}`).set(A)).status).toBe(204);
    expect((await request(scim("brand-b")).delete(`/Users/${b.body.id}`).set(B)).status).toBe(204);
    // acme-eu deactivates (the customer stays), brand-b deletes.
    expect(t.emulator.store("acmeeustore").customers.get(Number(a.body.id))).toBeDefined();
    expect(t.emulator.store("brandbstore").customers.get(Number(b.body.id))).toBeUndefined();
  });

  it("a tenant's own /readyz and /metrics answer its own token only", async () => {
    expect((await request(t.url).get("/t/acme-eu/readyz").set(A)).status).toBe(200);
    expect((await request(t.url).get("/t/acme-eu/readyz").set(B)).status).toBe(401);
    // A replica hop credential is the SCIM API's alone: elsewhere it opens nothing, and a known
    // tenant answers as an unknown one.
    const hop = { "x-scim-bridge-hop": "1.AAAAAAAAAAAAAAAAAAAAAA.forged", "x-scim-bridge-hop-to": "x", "x-scim-bridge-client": "x", "x-scim-bridge-body-sha256": "x" };
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const known = await request(t.url).get(`/t/acme-eu${path}`).set(hop);
      const unknown = await request(t.url).get(`/t/nobody${path}`).set(hop);
      expect(known.status, path).toBe(401);
      expect(known.body).toEqual(unknown.body);
    }
    const own = await request(t.url).get("/t/brand-b/metrics").set(B);
    expect(own.status).toBe(200);
    expect(own.text).not.toContain('tenant="acme-eu"');
  });

  it("a tenant's bridge leaves the process's own metrics to the front (rebuilt at every change, it would start their GC observer and event-loop monitor again, never stopped)", async () => {
    for (const id of ["acme-eu", "brand-b"]) {
      const registry = t.tenants.get(id)!.metricsRegistry()!;
      expect(registry.getSingleMetric("nodejs_eventloop_lag_seconds"), id).toBeUndefined();
      expect(registry.getSingleMetric("nodejs_gc_duration_seconds"), id).toBeUndefined();
      expect(registry.getSingleMetric("scim_requests_total"), id).toBeDefined();
    }
    const res = await request(t.url).get("/metrics").set(auth(OPERATOR_TOKEN));
    expect(res.text.match(/^process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("metrics carry the tenant as a label; the process's token opens them", async () => {
    expect((await request(t.url).get("/metrics").set(A)).status).toBe(401);
    const res = await request(t.url).get("/metrics").set(auth(OPERATOR_TOKEN));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/scim_requests_total\{[^}]*resource="Users"[^}]*tenant="acme-eu"/);
    expect(res.text).toMatch(/scim_requests_total\{[^}]*tenant="brand-b"/);
    expect(res.text).toMatch(/bigcommerce_requests_total\{[^}]*tenant="acme-eu"/);
    expect(res.text).toMatch(/^scim_tenants 2$/m);
    expect(res.text).toMatch(/^scim_tenants_file_valid 1$/m);
  });

  it("the operator token opens no tenant, and there is no /scim/v2 without a tenant (docs/tenants.md)", async () => {
    expect((await get("acme-eu", "/Users", auth(OPERATOR_TOKEN))).status).toBe(401);
    const bare = await request(t.url).get("/scim/v2/Users").set(auth(OPERATOR_TOKEN));
    expect(bare.status).toBeGreaterThanOrEqual(400);
    expect(bare.body.Resources).toBeUndefined();
  });
});

describe("the tenants file changes while the bridge runs", () => {
  it("a tenant added to the file is served, and refused once removed, while another tenant's requests all succeed", async () => {
    const statuses: number[] = [];
    let running = true;
    // acme-eu's traffic all along: reads and creates.
    const traffic = (async () => {
      for (let i = 0; running; i++) {
        const read = await get("acme-eu", `/Users?filter=${encodeURIComponent('userName eq "same.person@example.com"')}`, A);
        statuses.push(read.status);
        const created = await post("acme-eu", "/Users", newUser(`during.change.${i}@example.com`), A);
        statuses.push(created.status);
      }
    })();
    try {
      const newcomer = auth(tenantToken("newcomer"));
      expect((await get("newcomer", "/Users", newcomer)).status).toBe(401);
      t.write(tenantsFile(t.emulator, [tenantEntry(t.emulator, "newcomer")]));
      // Noticed by the poll alone (no reload call).
      await eventually(async () => (await get("newcomer", "/Users", newcomer)).status === 200);
      expect((await post("newcomer", "/Users", newUser("first@newcomer.example"), newcomer)).status).toBe(201);
      t.write(tenantsFile(t.emulator));
      await eventually(async () => (await get("newcomer", "/Users", newcomer)).status === 401);
    } finally {
      running = false;
      await traffic;
    }
    expect(statuses.length).toBeGreaterThan(2);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
  });

  it("a changed tenant is rebuilt with its new settings once its request in flight finished", async () => {
    t.emulator.setOptions({ latencyMs: 150 });
    try {
      // A request in flight on brand-b while its settings change: it finishes on the old bridge.
      const inFlight = post("brand-b", "/Users", newUser("in.flight@example.com"), B).then((r) => r);
      await new Promise((r) => setTimeout(r, 50));
      const changed = tenantsFile(t.emulator);
      (changed.tenants[1] as { settings?: Record<string, string> }).settings = { SCIM_DELETE_MODE: "deactivate" };
      t.write(changed);
      await t.reload();
      const created = await inFlight;
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      // The rebuilt tenant deactivates instead of deleting.
      expect((await request(scim("brand-b")).delete(`/Users/${created.body.id}`).set(B)).status).toBe(204);
      expect(t.emulator.store("brandbstore").customers.get(Number(created.body.id))).toBeDefined();
    } finally {
      t.emulator.setOptions({ latencyMs: 0 });
    }
  });

  it("a request arriving while its tenant is rebuilt waits for the old bridge's requests no longer than its own budget: 503 with Retry-After", async () => {
    // brand-b's request in flight on the old bridge takes at least one call of 4 s.
    t.emulator.setOptions({ latencyMs: 4_000 });
    try {
      let inFlightDone = false;
      const inFlight = post("brand-b", "/Users", newUser("slow.in.flight@example.com"), B).then((r) => {
        inFlightDone = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 100));
      // The new settings give brand-b's requests 2 s (the old bridge's keep 55 s).
      const changed = tenantsFile(t.emulator);
      (changed.tenants[1] as { settings?: Record<string, string> }).settings = {
        SCIM_REQUEST_BUDGET_MS: "2000",
        BIGCOMMERCE_MAX_WAIT_MS: "1000",
        BIGCOMMERCE_REQUEST_TIMEOUT_MS: "1000",
      };
      t.write(changed);
      const rebuilt = t.reload();
      const waiting = await get("brand-b", "/Users?count=1", B);
      expect(waiting.status, JSON.stringify(waiting.body)).toBe(503);
      expect(Number(waiting.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(waiting.body.detail).toMatch(/being rebuilt/);
      // It answered while the old bridge's request was still running, not after the drain.
      expect(inFlightDone).toBe(false);
      // The new bridge is built at full speed (its 1 s request timeout would not outlast 4 s calls).
      t.emulator.setOptions({ latencyMs: 0 });
      expect((await inFlight).status).toBe(201);
      await rebuilt;
      expect((await get("brand-b", "/Users?count=1", B)).status).toBe(200);
    } finally {
      t.emulator.setOptions({ latencyMs: 0 });
      t.write(tenantsFile(t.emulator));
      await t.reload();
    }
  });

  it("an invalid file keeps the last valid set serving, and is reported in /metrics and /readyz", async () => {
    const before = await request(t.url).get("/metrics").set(auth(OPERATOR_TOKEN));
    const invalidBefore = Number(/scim_tenants_file_versions_total\{outcome="invalid"\} (\d+)/.exec(before.text)?.[1] ?? 0);
    t.write("{ this is not JSON");
    await t.reload();
    expect((await get("acme-eu", "/Users", A)).status).toBe(200);
    expect((await get("brand-b", "/Users", B)).status).toBe(200);
    const ready = await request(t.url).get("/readyz").set(auth(OPERATOR_TOKEN));
    expect(ready.status).toBe(200);
    expect(ready.body.tenantsFile).toBe("invalid");
    expect(ready.body.tenantsFileError.error).toMatch(/not valid JSON/);
    const metrics = await request(t.url).get("/metrics").set(auth(OPERATOR_TOKEN));
    expect(metrics.text).toMatch(/^scim_tenants_file_valid 0$/m);
    expect(Number(/scim_tenants_file_versions_total\{outcome="invalid"\} (\d+)/.exec(metrics.text)?.[1])).toBe(invalidBefore + 1);

    // A setting the environment would refuse is refused here, naming the tenant and the setting.
    const badSetting = tenantsFile(t.emulator);
    (badSetting.tenants[1] as { settings?: Record<string, string> }).settings = { SCIM_DELETE_MODE: "shred" };
    t.write(badSetting);
    await t.reload();
    const detail = await request(t.url).get("/readyz").set(auth(OPERATOR_TOKEN));
    expect(detail.body.tenantsFileError.error).toMatch(/tenant "brand-b": settings\.SCIM_DELETE_MODE/);
    expect((await get("brand-b", "/Users", B)).status).toBe(200);

    t.write(tenantsFile(t.emulator));
    await t.reload();
    expect((await request(t.url).get("/readyz").set(auth(OPERATOR_TOKEN))).body.tenantsFile).toBe("valid");
  });

  it("a tenant whose store refuses its credentials answers 503 to its own callers; the others and /readyz stay up", async () => {
    const bad = tenantEntry(t.emulator, "bad-creds", { accessToken: "not-the-store-token" });
    t.write(tenantsFile(t.emulator, [bad]));
    await t.reload();
    const badAuth = auth(tenantToken("bad-creds"));
    const refused = await get("bad-creds", "/Users", badAuth);
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toMatch(/BigCommerce rejected the API credentials/);
    // Its credentials check still comes first: without its token, the same 401 as anyone's.
    expect((await get("bad-creds", "/Users", A)).status).toBe(401);
    // Nor does anything else without its token learn that it exists or why it fails: a made-up
    // replica hop, or its sign-in routes (it has no sign-in), answer as an unknown tenant's.
    const hop = { "x-scim-bridge-hop": "1.AAAAAAAAAAAAAAAAAAAAAA.forged", "x-scim-bridge-hop-to": "x", "x-scim-bridge-client": "x", "x-scim-bridge-body-sha256": "x" };
    const hopToFailing = await get("bad-creds", "/Users", hop);
    const hopToUnknown = await get("nobody", "/Users", hop);
    expect(hopToFailing.status).toBe(hopToUnknown.status);
    expect(hopToFailing.body).toEqual(hopToUnknown.body);
    const signInFailing = await request(t.url).get("/t/bad-creds/sso/login");
    const signInUnknown = await request(t.url).get("/t/nobody/sso/login");
    expect(signInFailing.status).toBe(signInUnknown.status);
    expect(signInFailing.text).toBe(signInUnknown.text);
    expect((await get("acme-eu", "/Users", A)).status).toBe(200);

    const publicReady = await request(t.url).get("/readyz");
    expect(publicReady.status).toBe(200);
    expect(publicReady.body.tenants).toEqual({ serving: 2, failing: 1 });
    expect(publicReady.body.tenantDetail).toBeUndefined(); // names are the operator's
    const ready = await request(t.url).get("/readyz").set(auth(OPERATOR_TOKEN));
    expect(ready.body.tenantDetail["bad-creds"]).toEqual({ ready: false, reason: "BigCommerce rejected the API credentials" });
    expect(ready.body.tenantDetail["acme-eu"]).toEqual({ ready: true });

    // Once the store accepts its token, the tenant is tried again and serves, without a file change.
    t.emulator.setOptions({ accessToken: "not-the-store-token" });
    try {
      await eventually(async () => (await get("bad-creds", "/Users", badAuth)).status === 200);
    } finally {
      t.emulator.setOptions({ accessToken: "emulator-token" });
    }

    t.write(tenantsFile(t.emulator));
    await t.reload();
  });
});

describe("a YAML tenants file", () => {
  let y: RunningTenants;
  beforeAll(async () => {
    y = await startTenants(
      (emulator) =>
        [
          "tenants:",
          "  - id: yaml-one",
          "    bigcommerce:",
          `      storeHash: yamlstore`,
          "      accessToken: emulator-token",
          `      apiUrl: ${emulator.url}`,
          `    scimTokens: ["${tenantToken("yaml-one")}"]`,
          "    settings:",
          "      SCIM_MAX_SCAN: 50",
          "",
        ].join("\n"),
      { tenantsFileName: "tenants.yaml" },
    );
  });
  afterAll(async () => {
    await y?.close();
  });

  it("serves the tenant of a YAML file (numbers as settings)", async () => {
    const res = await request(`${y.url}/t/yaml-one/scim/v2`).post("/Users").set(auth(tenantToken("yaml-one"))).set("Content-Type", "application/scim+json").send(JSON.stringify(newUser("yaml@example.com")));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(y.emulator.store("yamlstore").customers.where((c) => c.email === "yaml@example.com")).toHaveLength(1);
  });
});

describe("tenants' logs", () => {
  const lines: string[] = [];
  let l: RunningTenants;
  beforeAll(async () => {
    l = await startTenants((emulator) => ({ tenants: [tenantEntry(emulator, "logged")] }), { env: { LOG_LEVEL: "debug" }, logLines: lines });
  });
  afterAll(async () => {
    await l?.close();
  });

  it("carry the tenant id, and never a tenant's sign-in callback code, even at debug", async () => {
    await request(l.url).get("/t/logged/sso/callback?code=the-secret-code&state=the-secret-state");
    await request(`${l.url}/t/logged/scim/v2`).get("/Users").set(auth(tenantToken("logged")));
    const requestLines = lines.filter((line) => line.includes('"request completed"'));
    expect(requestLines.length).toBeGreaterThanOrEqual(2);
    for (const line of requestLines) expect(JSON.parse(line).tenant).toBe("logged");
    expect(lines.join("\n")).not.toContain("the-secret-code");
    expect(lines.join("\n")).not.toContain("the-secret-state");
    expect(lines.join("\n")).not.toContain(tenantToken("logged"));
  });
});

describe("tenants' audit trail", () => {
  let a: RunningTenants;
  let folder: string;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "scim-tenants-audit-"));
    a = await startTenants((emulator) => ({ tenants: [tenantEntry(emulator, "audited-a"), tenantEntry(emulator, "audited-b")] }), {
      env: { SCIM_AUDIT_FILE: join(folder, "audit.jsonl") },
    });
  });
  afterAll(async () => {
    await a?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("every event in the one audit file names its tenant", async () => {
    for (const id of ["audited-a", "audited-b"]) {
      const res = await request(`${a.url}/t/${id}/scim/v2`).post("/Users").set(auth(tenantToken(id))).set("Content-Type", "application/scim+json").send(JSON.stringify(newUser(`${id}@example.com`)));
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const events = readFileSync(join(folder, "audit.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { tenant?: string; operation: string });
    expect(events.filter((e) => e.operation === "create").map((e) => e.tenant).sort()).toEqual(["audited-a", "audited-b"]);
    for (const event of events) expect(event.tenant).toMatch(/^audited-[ab]$/);
  });
});

describe("tenants' failed authentications", () => {
  const LIMIT = 3;
  let f: RunningTenants;
  beforeAll(async () => {
    f = await startTenants((emulator) => ({ tenants: [tenantEntry(emulator, "guarded-a"), tenantEntry(emulator, "guarded-b")] }), {
      env: { AUTH_FAILURE_LIMIT: String(LIMIT), TRUST_PROXY: "loopback" },
    });
  });
  afterAll(async () => {
    await f?.close();
  });
  const users = (tenant: string, token: string, forwardedFor: string) =>
    request(`${f.url}/t/${tenant}/scim/v2`).get("/Users?count=1").set("Authorization", `Bearer ${token}`).set("X-Forwarded-For", forwardedFor);

  it("are counted per client address (TRUST_PROXY) across tenants and unknown tenants; past the limit 429, a valid token still works", async () => {
    const guesser = "203.0.113.20";
    const paths = ["guarded-a", "guarded-b", "nobody"];
    for (let i = 0; i < LIMIT; i++) expect((await users(paths[i % paths.length]!, `wrong-token-${i}-aaaaaaaaaaaa`, guesser)).status).toBe(401);
    for (const tenant of paths) {
      const refused = await users(tenant, "wrong-token-again-aaaaaaaa", guesser);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
    // Another client behind the same proxy has its own count; the guesser's valid token works.
    expect((await users("guarded-a", "wrong-token-aaaaaaaaaaaaaa", "203.0.113.21")).status).toBe(401);
    expect((await users("guarded-a", tenantToken("guarded-a"), guesser)).status).toBe(200);
  });
});
