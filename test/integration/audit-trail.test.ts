import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditFile } from "../../src/audit/audit-file.js";
import { requestedNames } from "../../src/http/audit-writes.js";
import { BrowserlessClient } from "../sso/browserless-client.js";
import { startSsoWorld, type SsoWorld } from "../sso/harness.js";
import { startTenants, tenantEntry, tenantToken } from "../../src/dev/tenants-harness.js";
import { createUser, newUser, useBridge } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "audit-"));
const readEvents = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The event is written when the answer has been sent: give the server's 'finish' a moment on a busy machine. */
async function eventsOnceThere(path: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 200; i += 1) {
    const events = (() => {
      try {
        return readEvents(path);
      } catch {
        return [];
      }
    })();
    if (events.length >= count) return events;
    await new Promise((r) => setTimeout(r, 25));
  }
  return readEvents(path);
}

describe("audit trail of SCIM writes (SCIM_AUDIT_FILE)", () => {
  const file = join(dir, "scim", "audit.jsonl");
  const b = useBridge({ SCIM_AUDIT_FILE: file });

  it("records a create, a PATCH, a deactivation, a failed write and a delete, one event each, names without values", async () => {
    const user = await createUser(b.api, "audited.person@example.com", { externalId: "00u-audit" });
    const patched = await b.api.patch(`/Users/${user.id}`, [{ op: "replace", path: "title", value: "Buyer" }]);
    expect(patched.status).toBe(200);
    const deactivated = await b.api.patch(`/Users/${user.id}`, [{ op: "Replace", path: "active", value: "False" }]);
    expect(deactivated.status).toBe(200);
    const duplicate = await b.api.post("/Users", newUser("Audited.Person@example.com"));
    expect(duplicate.status).toBe(409);
    const group = await b.api.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Audited group" });
    expect(group.status).toBe(201);
    const deleted = await b.api.delete(`/Users/${user.id}`);
    expect(deleted.status).toBe(204);
    // Reads are not audited.
    expect((await b.api.get(`/Users/${user.id}`)).status).toBe(404);

    const events = await eventsOnceThere(file, 6);
    expect(events).toHaveLength(6);
    expect(events.map((e) => [e.resourceType, e.operation, e.outcome, e.status])).toEqual([
      ["User", "create", "success", 201],
      ["User", "patch", "success", 200],
      ["User", "deactivate", "success", 200],
      ["User", "create", "failure", 409],
      ["Group", "create", "success", 201],
      ["User", "delete", "success", 204],
    ]);
    for (const e of events) {
      expect(e).toMatchObject({ kind: "scim", client: "token#1" });
      expect(typeof e.time).toBe("string");
      expect(typeof e.requestId).toBe("string");
    }
    const [create, patch, deactivate, failed, , del] = events;
    expect(create).toMatchObject({ resourceId: user.id, requested: expect.arrayContaining(["userName", "name", "externalId", "active"]) });
    expect(create!.changed).toEqual(expect.arrayContaining(["email", "first_name", "last_name"]));
    expect(patch).toMatchObject({ resourceId: user.id, requested: ["title"], changed: ["title"] });
    expect(deactivate).toMatchObject({ resourceId: user.id, requested: ["active"] });
    expect(failed!.resourceId).toBeUndefined();
    expect(failed!.changed).toBeUndefined();
    expect(del).toMatchObject({ resourceId: user.id });
    // Each write took BigCommerce calls, and the event says which.
    for (const e of [create!, patch!, deactivate!, failed!, del!]) {
      expect(e.upstreamCalls).toBeGreaterThan(0);
      const byEndpoint = e.upstreamCallsByEndpoint as Record<string, number>;
      expect(Object.values(byEndpoint).reduce((a, n) => a + n, 0)).toBe(e.upstreamCalls);
    }
    expect(Object.keys(del!.upstreamCallsByEndpoint as object)).toContain("DELETE /v3/customers");
    expect(Object.keys(create!.upstreamCallsByEndpoint as object)).toContain("POST /v3/customers");
    // Never a value: no email, no title, no externalId.
    const text = readFileSync(file, "utf8").toLowerCase();
    for (const value of ["audited.person@example.com", "buyer", "00u-audit"]) expect(text).not.toContain(value);
  });

  it("counts a batch call once for each request whose work it carried", async () => {
    const before = (await eventsOnceThere(file, 6)).length;
    const users = await Promise.all([1, 2, 3, 4].map((i) => createUser(b.api, `batched.${i}@example.com`)));
    const events = (await eventsOnceThere(file, before + 4)).slice(before);
    expect(events.map((e) => e.resourceId).sort()).toEqual(users.map((u) => u.id).sort());
    const creates = events.map((e) => (e.upstreamCallsByEndpoint as Record<string, number>)["POST /v3/customers"]);
    // Every request names the create call that carried it, however many shared it.
    expect(creates.every((n) => n !== undefined && n >= 1)).toBe(true);
  });
});

describe("audit trail of a create with the bridge's addresses", () => {
  const file = join(dir, "addresses", "audit.jsonl");
  const mapping = join(dir, "addresses-mapping.json");
  writeFileSync(mapping, JSON.stringify({ addresses: { types: ["work"] } }));
  const b = useBridge({ SCIM_AUDIT_FILE: file, SCIM_MAPPING_FILE: mapping });

  it("names the addresses among what the create changed", async () => {
    const address = { type: "work", streetAddress: "1 Main Street", locality: "Austin", region: "TX", postalCode: "78701", country: "US" };
    const user = await createUser(b.api, "addressed.person@example.com", { addresses: [address] });
    const [create] = await eventsOnceThere(file, 1);
    expect(create).toMatchObject({ operation: "create", resourceId: user.id, outcome: "success" });
    expect(Object.keys(create!.upstreamCallsByEndpoint as object)).toContain("POST /v3/customers/addresses");
    expect(create!.changed).toEqual(expect.arrayContaining(["email", "addresses"]));
  });
});

describe("audit trail of storefront sign-in", () => {
  const file = join(dir, "sso", "audit.jsonl");
  let world: SsoWorld;
  beforeAll(async () => {
    world = await startSsoWorld({ accounts: (l) => (l === "stranger" ? { email: "stranger@example.com", email_verified: true } : undefined), env: { SCIM_AUDIT_FILE: file } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("records a refused sign-in with its reason, never the email", async () => {
    const page = await new BrowserlessClient().browse(`${world.bridgeUrl}/sso/login?redirect_to=/account.php`, { login: "stranger", password: "pw" });
    expect(page.status).toBe(403);
    const events = await eventsOnceThere(file, 1);
    expect(events).toEqual([expect.objectContaining({ kind: "sign-in", operation: "refused", reason: "unknown_user", outcome: "failure", status: 403 })]);
    expect(readFileSync(file, "utf8")).not.toContain("stranger@example.com");
  });
});

describe("audit file", () => {
  it("appends across restarts and rotates by size, keeping the configured number of files", () => {
    const path = join(dir, "rotate", "audit.jsonl");
    const event = { kind: "scim", operation: "patch", outcome: "success", pad: "x".repeat(60) };
    const line = `${JSON.stringify(event)}\n`.length;
    new AuditFile({ path, maxBytes: line * 3, keep: 2 }).append(event);
    // A restart opens the same file and appends.
    const file = new AuditFile({ path, maxBytes: line * 3, keep: 2 });
    file.append(event);
    file.append(event);
    expect(readEvents(path)).toHaveLength(3);
    for (let i = 0; i < 7; i += 1) file.append(event);
    // 10 lines, 3 per file: 1 in the live file, 3 in .1, 3 in .2; the oldest 3 are gone.
    expect(readEvents(path)).toHaveLength(1);
    expect(readEvents(`${path}.1`)).toHaveLength(3);
    expect(readEvents(`${path}.2`)).toHaveLength(3);
    expect(() => readFileSync(`${path}.3`)).toThrow();
  });

  it("names what a hostile body asks for, bounded, and never a filter's value", () => {
    writeFileSync(join(dir, "unused"), "");
    const ops = Array.from({ length: 500 }, (_, i) => ({ op: "add", path: `emails[value eq "p${i}@x.test"].type`, value: "work" }));
    const names = requestedNames("PATCH", { Operations: ops });
    expect(names).toEqual(["emails[].type"]);
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`a${i}`, 1]));
    expect(requestedNames("POST", many)).toHaveLength(50);
    expect(requestedNames("POST", { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "x" } })).toEqual([
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    ]);
  });
});

describe("audit events of a tenant", () => {
  it("name the tenant (docs/operations.md: `tenant`, when the bridge serves several stores)", async () => {
    const lines: string[] = [];
    const t = await startTenants((emulator) => ({ tenants: [tenantEntry(emulator, "acme-eu")] }), { env: { LOG_LEVEL: "info" }, logLines: lines });
    try {
      const res = await fetch(`${t.url}/t/acme-eu/scim/v2/Users`, {
        method: "POST",
        headers: { Authorization: `Bearer ${tenantToken("acme-eu")}`, "Content-Type": "application/scim+json" },
        body: JSON.stringify(newUser("tenant.audit@example.com")),
      });
      expect(res.status).toBe(201);
      const audit = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.audit === true);
      for (let i = 0; i < 200 && audit().length === 0; i += 1) await new Promise((r) => setTimeout(r, 25));
      expect(audit()).toEqual([expect.objectContaining({ tenant: "acme-eu", operation: "create", resourceType: "User", client: "token#1", outcome: "success", status: 201 })]);
    } finally {
      await t.close();
    }
  });
});
