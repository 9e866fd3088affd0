import request from "supertest";
import { describe, expect, it } from "vitest";
import { CORE, countCalls, newUser, store, useBridge } from "./helpers.js";

/**
 * Issue 19, item 5: answers that sent an operator after the wrong problem. Each was reproduced
 * on the earlier main: discovery lists said itemsPerPage 20, JSON sent as text/plain was "Missing
 * request body", a date filter on garbage was an empty 200, and a POST /Users naming only the
 * Group schema (or none) created a customer.
 */
const b = useBridge();
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

describe("discovery lists", () => {
  it.each(["/Schemas", "/ResourceTypes"])("%s reports the itemsPerPage it returns", async (path) => {
    const res = await b.api.get(path);
    expect(res.status).toBe(200);
    expect(res.body.Resources.length).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ totalResults: res.body.Resources.length, itemsPerPage: res.body.Resources.length, startIndex: 1 });
  });
});

describe("a body that is not JSON by its Content-Type", () => {
  it.each(["text/plain", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"])("JSON sent as %s answers 415 with a SCIM error", async (type) => {
    const { result: res, calls } = await countCalls(b, () =>
      request(`${b.url}/scim/v2`).post("/Users").set(b.auth).set("Content-Type", type).send(JSON.stringify(newUser("plain@x.test"))),
    );
    expect(res.status).toBe(415);
    expect(res.headers["content-type"]).toMatch(/application\/scim\+json/);
    expect(res.body).toMatchObject({ schemas: [ERROR], status: "415" });
    expect(res.body.detail).toContain(type.split(";")[0]);
    expect(calls).toEqual([]);
  });

  it("a request without a body still needs no Content-Type", async () => {
    const created = await b.api.post("/Users", newUser("nobody-type@x.test"));
    expect((await request(`${b.url}/scim/v2`).delete(`/Users/${created.body.id}`).set(b.auth)).status).toBe(204);
  });
});

describe("a date filter on something that is no date", () => {
  it.each([
    'meta.lastModified gt "garbage"',
    'meta.created lt "yesterday"',
    'meta.lastModified ge 5',
    'userName sw "a" and meta.lastModified gt "2024-13-45T99:00:00Z"',
  ])("%s answers 400 invalidFilter", async (filter) => {
    for (const resource of ["/Users", "/Groups"]) {
      const res = await b.api.get(`${resource}?filter=${encodeURIComponent(filter)}`);
      expect(res.status, resource).toBe(400);
      expect(res.body.scimType, resource).toBe("invalidFilter");
    }
  });

  it("a real dateTime still filters", async () => {
    const res = await b.api.get(`/Users?filter=${encodeURIComponent('meta.lastModified gt "2000-01-01T00:00:00Z"')}`);
    expect(res.status).toBe(200);
  });
});

describe("POST /Users must name the User schema", () => {
  it.each([
    ["only the Group schema", { schemas: [GROUP] }, "invalidValue"],
    ["an empty schemas", { schemas: [] }, "invalidValue"],
    ["no schemas", { schemas: undefined }, "invalidSyntax"],
  ])("with %s answers 400 and creates nothing", async (_name, schemas, scimType) => {
    const body = { ...newUser("schemaless@x.test"), ...schemas };
    const { result: res, calls } = await countCalls(b, () => b.api.post("/Users", body));
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe(scimType);
    expect(res.body.detail).toContain(CORE);
    expect(calls).toEqual([]);
    expect(store(b).customers.all().some((c) => c.email === "schemaless@x.test")).toBe(false);
  });
});
