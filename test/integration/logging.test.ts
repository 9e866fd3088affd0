import request from "supertest";
import { describe, expect, it } from "vitest";
import { newUser, TEST_TOKEN as TOKEN, useBridge, withBridge } from "./helpers.js";

const lines: string[] = [];
const UPSTREAM_TOKEN = "upstream-secret-token-xyz987";

/** trace is pino's lowest level: these lines include every line of every level. */
const b = useBridge({ BIGCOMMERCE_ACCESS_TOKEN: UPSTREAM_TOKEN, LOG_LEVEL: "trace" }, { logLines: lines });

/** Writes that go wrong upstream: what reaches the error and warning lines. */
async function failures(bridge: { url: string; auth: { Authorization: string }; emulator: typeof b.emulator }, email: string, password: string): Promise<string> {
  const send = (method: "post" | "patch", path: string, body: unknown) =>
    request(bridge.url)[method](`/scim/v2${path}`).set(bridge.auth).set("Content-Type", "application/scim+json").send(JSON.stringify(body));
  const patchPassword = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "password", value: password }] };
  // A create whose answer BigCommerce loses after writing it.
  bridge.emulator.faults.add({ method: "POST", path: "/v3/customers", dropResponse: true, count: 1 });
  const created = await send("post", "/Users", newUser(email, { password }));
  expect(created.status).toBe(201);
  const id = String(created.body.id);
  // BigCommerce down through every retry, then refusing the access token.
  bridge.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 20 });
  expect((await send("patch", `/Users/${id}`, patchPassword)).status).toBe(503);
  bridge.emulator.faults.clear();
  bridge.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 401, count: 5 });
  expect((await send("patch", `/Users/${id}`, patchPassword)).status).toBe(502);
  bridge.emulator.faults.clear();
  // The same email again: a conflict.
  expect((await send("post", "/Users", newUser(email.toUpperCase(), { password }))).status).toBe(409);
  return id;
}

describe("logs", () => {
  it("carry request ids, write one audit line per change, and never a secret or a full email", async () => {
    const res = await request(b.url)
      .post("/scim/v2/Users")
      .set("Authorization", `Bearer ${TOKEN}`)
      .set("X-Request-Id", "req-abc-123")
      .send(newUser("secret.person@x.test", { password: "Pa55-word-never-logged" }));
    expect(res.status).toBe(201);
    expect(res.headers["x-request-id"]).toBe("req-abc-123");
    await request(b.url).get("/scim/v2/Users").set("Authorization", "Bearer wrong-token-value-123");
    const all = lines.join("\n");
    for (const secret of [TOKEN, UPSTREAM_TOKEN, "Pa55-word-never-logged", "wrong-token-value-123"]) expect(all).not.toContain(secret);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const audit = parsed.filter((l) => l.audit === true);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ kind: "scim", resourceType: "User", operation: "create", resourceId: res.body.id, client: "token#1", outcome: "success", status: 201 });
    expect(JSON.stringify(audit[0])).not.toContain("secret.person@x.test");
    expect(parsed.some((l) => (l.req as { id?: string } | undefined)?.id === "req-abc-123")).toBe(true);
  });

  it("never carry the BigCommerce access token, the SCIM token or a password at any level, also when BigCommerce fails", async () => {
    const before = lines.length;
    await failures(b, "failing.person@x.test", "Fa11ing-pass-never-logged");
    const seen = lines.slice(before);
    // The failures were logged (warnings, errors, the client's calls at debug) ...
    expect(seen.some((l) => l.includes('"bigcommerce call"'))).toBe(true);
    expect(seen.some((l) => /"level":(40|50)/.test(l))).toBe(true);
    // ... and none of them carries a secret.
    for (const secret of [TOKEN, UPSTREAM_TOKEN, "Fa11ing-pass-never-logged"]) expect(seen.join("\n")).not.toContain(secret);
  });

  it("at info, carry no customer's email, also when BigCommerce fails", async () => {
    const info: string[] = [];
    await withBridge(
      { BIGCOMMERCE_ACCESS_TOKEN: UPSTREAM_TOKEN, LOG_LEVEL: "info" },
      async (own) => {
        const id = await failures(own, "info.person@x.test", "Inf0-pass-never-logged");
        expect((await own.api.get(`/Users?filter=${encodeURIComponent('userName eq "info.person@x.test"')}`)).body.totalResults).toBe(1);
        expect((await own.api.patch(`/Users/${id}`, [{ op: "replace", path: "userName", value: "info.renamed@x.test" }])).status).toBe(200);
      },
      { logLines: info },
    );
    expect(info.some((l) => l.includes('"audit":true'))).toBe(true);
    const all = info.join("\n").toLowerCase();
    for (const value of ["info.person", "info.renamed", UPSTREAM_TOKEN.toLowerCase(), TOKEN.toLowerCase(), "inf0-pass-never-logged"]) expect(all).not.toContain(value);
  });
});
