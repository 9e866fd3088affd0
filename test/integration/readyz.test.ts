import request from "supertest";
import { describe, expect, it } from "vitest";
import { useBridge } from "./helpers.js";

describe("GET /readyz", () => {
  // A fresh bridge per test: the first readiness check is cached, and a fault must meet it uncached.
  const b = useBridge({}, { each: true });

  it("is ready when BigCommerce answers with the credentials, and caches the check so probes do not eat quota", async () => {
    const first = await request(b.url).get("/readyz");
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ready: true, checks: { bigcommerce: "ok" } });
    for (let i = 0; i < 5; i += 1) expect((await request(b.url).get("/readyz")).status).toBe(200);
    expect(b.upstreamCalls().filter((c) => c.path.endsWith("/v3/customers"))).toHaveLength(1);
    expect((await request(b.url).get("/healthz")).status).toBe(200);
  });

  it("is not ready when BigCommerce rejects the credentials, with a JSON reason", async () => {
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 401 });
    const res = await request(b.url).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(res.body).toEqual({ ready: false, checks: { bigcommerce: "failing" }, reason: "BigCommerce rejected the API credentials" });
    // Liveness is not readiness.
    expect((await request(b.url).get("/healthz")).status).toBe(200);
  });

  it("is not ready when BigCommerce is down", async () => {
    b.emulator.faults.add({ method: "GET", path: "/v3/customers", status: 503 });
    const res = await request(b.url).get("/readyz");
    expect(res.status).toBe(503);
    expect(res.body.reason).toMatch(/^BigCommerce /);
  });
});
