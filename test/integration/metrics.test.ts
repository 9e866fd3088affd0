import request from "supertest";
import { describe, expect, it } from "vitest";
import { newUser, useBridge } from "./helpers.js";

const b = useBridge();

describe("/metrics", () => {
  it("needs the bearer token", async () => {
    expect((await request(b.url).get("/metrics")).status).toBe(401);
  });

  it("counts SCIM requests, BigCommerce calls and shows the quota left", async () => {
    await b.api.post("/Users", newUser("metrics@x.test"));
    await b.api.get("/Users/424242");
    const res = await request(b.url).get("/metrics").set(b.auth);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/scim_requests_total\{method="POST",resource="Users",status="201"\} 1/);
    expect(res.text).toMatch(/scim_requests_total\{method="GET",resource="Users",status="404"\} 1/);
    expect(res.text).toMatch(/bigcommerce_requests_total\{method="POST",endpoint="\/v3\/customers",status="200"\} 1/);
    expect(res.text).toMatch(/bigcommerce_rate_limit_requests_left \d+/);
  });

  it("serves every series docs/operations.md names, with the process metrics", async () => {
    await b.api.get("/Users/1");
    const res = await request(b.url).get("/metrics").set(b.auth);
    expect(res.text).toMatch(/scim_request_duration_seconds_count\{method="GET",resource="Users"\} \d+/);
    expect(res.text).toMatch(/bigcommerce_request_duration_seconds_count\{method="GET",endpoint="\/v3\/customers"\} \d+/);
    expect(res.text).toMatch(/^bigcommerce_requests_waiting_for_quota \d+/m);
    expect(res.text).toMatch(/^# TYPE scim_unmapped_attributes_total counter/m);
    expect(res.text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it("labels an unknown path 'other', so paths cannot add label sets", async () => {
    await request(b.url).get("/scim/v2/NoSuchThing-7f3a").set(b.auth);
    const res = await request(b.url).get("/metrics").set(b.auth);
    expect(res.text).toMatch(/scim_requests_total\{method="GET",resource="other",status="404"\} \d+/);
    expect(res.text).not.toContain("NoSuchThing");
  });
});
