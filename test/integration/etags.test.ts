import request from "supertest";
import { describe, expect, it } from "vitest";
import { newUser, PATCH_OP, useBridge } from "./helpers.js";

/** Issue 8, item 7: ETags from meta.version (RFC 7644 §3.14). */
const b = useBridge();

const scim = () => request(`${b.url}/scim/v2`);
const writes = () => b.upstreamCalls().filter((c) => c.method !== "GET");

describe("Users", () => {
  it("answers carry ETag = meta.version; If-None-Match gives 304 only when it names that version", async () => {
    const created = await b.api.post("/Users", newUser("etag1@x.test"));
    expect(created.headers.etag).toBe(created.body.meta.version);
    const got = await b.api.get(`/Users/${created.body.id}`);
    expect(got.headers.etag).toBe(got.body.meta.version);
    const version = got.body.meta.version as string;

    const fresh = await scim().get(`/Users/${created.body.id}`).set(b.auth).set("If-None-Match", version);
    expect(fresh.status).toBe(304);
    expect(fresh.text ?? "").toBe("");
    const stale = await scim().get(`/Users/${created.body.id}`).set(b.auth).set("If-None-Match", '"not-it"');
    expect(stale.status).toBe(200);
    expect(stale.body.id).toBe(created.body.id);
  });

  it("If-None-Match: * on a list is no longer an empty 304", async () => {
    const res = await scim().get("/Users").set(b.auth).set("If-None-Match", "*");
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.Resources)).toBe(true);
  });

  it("PUT, PATCH and DELETE with a stale If-Match are 412 and write nothing; the current version goes through", async () => {
    const created = await b.api.post("/Users", newUser("etag2@x.test"));
    const id = created.body.id as string;
    const v1 = created.body.meta.version as string;
    const patched = await scim()
      .patch(`/Users/${id}`)
      .set(b.auth)
      .set("If-Match", v1)
      .send({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "name.givenName", value: "Changed" }] });
    expect(patched.status).toBe(200);
    const v2 = patched.body.meta.version as string;
    expect(v2).not.toBe(v1);
    expect(patched.headers.etag).toBe(v2);

    for (const [method, body] of [
      ["put", newUser("etag2@x.test", { name: { givenName: "Stale", familyName: "Write" } })],
      ["patch", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }],
      ["delete", undefined],
    ] as const) {
      b.emulator.clearRequests();
      const res = await scim()[method](`/Users/${id}`).set(b.auth).set("If-Match", v1).send(body);
      expect(res.status, method).toBe(412);
      expect(res.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
      expect(writes(), method).toEqual([]);
    }
    const now = await b.api.get(`/Users/${id}`);
    expect(now.body.name.givenName).toBe("Changed");
    expect(now.body.active).toBe(true);

    expect((await scim().delete(`/Users/${id}`).set(b.auth).set("If-Match", `W/${v2}, "other"`)).status).toBe(204);
  });

  it("two writes racing with the same If-Match: one succeeds, the other is 412 (checked under the per-user lock)", async () => {
    const created = await b.api.post("/Users", newUser("etag-race@x.test"));
    const v1 = created.body.meta.version as string;
    const rename = (givenName: string) =>
      scim()
        .patch(`/Users/${created.body.id}`)
        .set(b.auth)
        .set("If-Match", v1)
        .send({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "name.givenName", value: givenName }] });
    const results = await Promise.all([rename("First"), rename("Second")]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await b.api.get(`/Users/${created.body.id}`)).body.name.givenName).toBe(winner.body.name.givenName);
  });

  it("If-Match: * passes for an existing user; any If-Match on a missing one is 404", async () => {
    const created = await b.api.post("/Users", newUser("etag3@x.test"));
    const res = await scim()
      .patch(`/Users/${created.body.id}`)
      .set(b.auth)
      .set("If-Match", "*")
      .send({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Boss" }] });
    expect(res.status).toBe(200);
    expect((await scim().delete("/Users/999999").set(b.auth).set("If-Match", "*")).status).toBe(404);
  });
});

describe("Groups", () => {
  it("ETag and If-Match use the version with members", async () => {
    const user = await b.api.post("/Users", newUser("etag-member@x.test"));
    const group = await b.api.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "ETag group" });
    const got = await b.api.get(`/Groups/${group.body.id}`);
    expect(got.headers.etag).toBe(got.body.meta.version);
    const v1 = got.body.meta.version as string;
    expect((await scim().get(`/Groups/${group.body.id}`).set(b.auth).set("If-None-Match", v1)).status).toBe(304);
    const add = { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: user.body.id }] }] };
    expect((await scim().patch(`/Groups/${group.body.id}`).set(b.auth).set("If-Match", v1).send(add)).status).toBe(204);
    // Membership changed, so v1 is stale now.
    b.emulator.clearRequests();
    const stale = await scim().patch(`/Groups/${group.body.id}`).set(b.auth).set("If-Match", v1).send({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "Renamed" }] });
    expect(stale.status).toBe(412);
    expect(writes()).toEqual([]);
  });
});
