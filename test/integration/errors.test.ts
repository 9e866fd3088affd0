import request from "supertest";
import { describe, expect, it } from "vitest";
import { newUser, store, useBridge, withBridge } from "./helpers.js";

const b = useBridge({ BIGCOMMERCE_MAX_WAIT_MS: "1000" });

function expectScimError(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/application\/scim\+json/);
  expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status) });
  expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|node_modules|emulator-token/);
}

describe("upstream failures become SCIM errors", () => {
  it("an outage that outlasts the retries: 503 with Retry-After", async () => {
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 20 });
    const res = await b.api.get("/Users/1");
    b.emulator.faults.clear();
    expectScimError(res, 503);
    expect(res.headers["retry-after"]).toMatch(/^\d+$/);
  });

  it("a transient 502 on a read is retried and the IdP never sees it", async () => {
    const created = await b.api.post("/Users", newUser("flaky.read@x.test"));
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 502, count: 1 });
    const res = await b.api.get(`/Users/${created.body.id}`);
    expect(res.status).toBe(200);
  });

  it("a create whose response is lost after BigCommerce wrote it succeeds once, with no duplicate", async () => {
    b.emulator.faults.add({ method: "POST", path: "/v3/customers", dropResponse: true, count: 1 });
    const res = await b.api.post("/Users", newUser("lost.response@x.test"));
    expect(res.status).toBe(201);
    expect(store(b).customers.where((c) => c.email === "lost.response@x.test")).toHaveLength(1);
    expect(res.body.id).toBe(String(store(b).customers.idByEmail("lost.response@x.test")));
  });

  it("credentials BigCommerce refuses are the operator's problem: 502, no token in the body", async () => {
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 401, count: 5 });
    const res = await b.api.get("/Users/1");
    b.emulator.faults.clear();
    expectScimError(res, 502);
  });

  it("an unknown endpoint is a SCIM 404, never an HTML page", async () => {
    expectScimError(await b.api.get("/Nope"), 404);
    expectScimError(await request(b.url).get("/not-scim").set(b.auth), 404);
  });

  it("endpoints the bridge does not offer say so in SCIM", async () => {
    const bulk = await b.api.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [] });
    expectScimError(bulk, 501);
    // docs/limitations.md: "/Bulk and /Me are not offered (501)".
    expectScimError(await b.api.get("/Me"), 501);
  });
});

describe("BigCommerce's quota", () => {
  it("exhausted past the wait bound: 429 with an integer Retry-After, without waiting it out", async () => {
    await withBridge({ BIGCOMMERCE_MAX_WAIT_MS: "1000" }, async (own) => {
      own.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 429, count: 10, headers: { "X-Retry-After": "45" } });
      const started = Date.now();
      const res = await own.api.get('/Users?filter=userName+eq+"a@x.test"');
      expectScimError(res, 429);
      expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(30);
      // Not a speed goal: only that the 45 s BigCommerce asked for was not waited out (so a loaded
      // machine's slowness cannot fail it).
      expect(Date.now() - started).toBeLessThan(25_000);
      // The governor now holds every request until the window resets instead of collecting 429s.
      own.emulator.clearRequests();
      const next = await own.api.get("/Users/1");
      expectScimError(next, 429);
      expect(own.upstreamCalls()).toEqual([]);
    });
  });
});
