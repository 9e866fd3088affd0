import { describe, expect, it } from "vitest";
import { person, STORE, useEmulator, V3_TYPE } from "./helpers.js";

const { emu, call } = useEmulator();
const RATE_HEADERS = ["x-rate-limit-time-window-ms", "x-rate-limit-time-reset-ms", "x-rate-limit-requests-quota", "x-rate-limit-requests-left"];
/** Latency that keeps concurrent requests overlapping at the emulator even on a loaded machine. */
const HOLD_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hasRateHeaders(headers: Headers): boolean {
  return RATE_HEADERS.every((name) => headers.get(name) !== null);
}

describe("authentication", () => {
  it("answers 401 without X-Auth-Token, in the V3 and V2 shapes", async () => {
    const v3 = await call("GET", "/v3/customers", { token: null });
    expect(v3.status).toBe(401);
    expect(v3.body).toMatchObject({ status: 401, type: V3_TYPE, errors: {} });
    const v2 = await call("GET", "/v2/customer_groups", { token: null });
    expect(v2.status).toBe(401);
    expect(v2.body[0].status).toBe(401);
  });

  it("checks the token when accessToken is set", async () => {
    emu().setOptions({ accessToken: "right" });
    expect((await call("GET", "/v3/customers", { token: "wrong" })).status).toBe(401);
    expect((await call("GET", "/v3/customers", { token: "right" })).status).toBe(200);
    emu().setOptions({ accessToken: undefined });
    expect((await call("GET", "/v3/customers", { token: "anything" })).status).toBe(200);
  });
});

describe("rate limiting", () => {
  it("sends the four rate headers on every response", async () => {
    const replies = await Promise.all([
      call("GET", "/v3/customers"),
      call("GET", "/v3/customers?foo=1"),
      call("DELETE", "/v3/customers"),
      call("GET", "/v3/nowhere"),
      call("GET", "/v3/customers", { token: null }),
      call("GET", "/v2/customer_groups"),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 422, 204, 404, 401, 204]);
    for (const reply of replies) expect(hasRateHeaders(reply.headers)).toBe(true);
    expect(replies[0]?.headers.get("x-rate-limit-requests-quota")).toBe("10000");
  });

  it("answers 429 with X-Retry-After past the quota, writes nothing, and refills after the window", async () => {
    // A window far longer than the test, so that however slowly it runs the four calls share it.
    emu().setOptions({ rateQuota: 3, rateWindowMs: 600_000 });
    const lefts: string[] = [];
    for (let i = 0; i < 3; i++) lefts.push((await call("GET", "/v3/customers")).headers.get("x-rate-limit-requests-left") ?? "");
    expect(lefts).toEqual(["2", "1", "0"]);
    const limited = await call("POST", "/v3/customers", { body: [person(1)] });
    expect(limited.status).toBe(429);
    // X-Retry-After: the seconds until the window resets, rounded up.
    expect(limited.headers.get("x-retry-after")).toBe(String(Math.max(1, Math.ceil(Number(limited.headers.get("x-rate-limit-time-reset-ms")) / 1000))));
    expect(hasRateHeaders(limited.headers)).toBe(true);
    expect(limited.headers.get("x-rate-limit-requests-left")).toBe("0");
    expect(Number(limited.headers.get("x-rate-limit-time-reset-ms"))).toBeLessThanOrEqual(600_000);
    expect(limited.body).toMatchObject({ status: 429, type: V3_TYPE });
    expect(emu().store(STORE).customers.count()).toBe(0);
    expect((await call("GET", "/v3/customers", { store: "other" })).status).toBe(200);
    // The window ends (shortened to 50 ms, which have passed after the sleep): the quota refills.
    emu().setOptions({ rateWindowMs: 50 });
    await sleep(60);
    expect((await call("GET", "/v3/customers")).status).toBe(200);
  });

  it("caps concurrent PUT /v3/customers at 3 per store with 429, without mutating", async () => {
    emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    emu().setOptions({ latencyMs: HOLD_MS });
    const replies = await Promise.all(
      Array.from({ length: 4 }, (_, i) => call("PUT", "/v3/customers", { body: [{ id: 1, first_name: `N${i}` }] })),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429]);
    const rejected = replies.findIndex((r) => r.status === 429);
    expect(hasRateHeaders(replies[rejected]!.headers)).toBe(true);
    expect(emu().store(STORE).customers.get(1)?.first_name).not.toBe(`N${rejected}`);
    emu().setOptions({ latencyMs: 0 });
    // Slots are released once answered.
    expect((await call("PUT", "/v3/customers", { body: [{ id: 1, first_name: "Last" }] })).status).toBe(200);
    emu().setOptions({ concurrencyCaps: false, latencyMs: 100 });
    const uncapped = await Promise.all(Array.from({ length: 5 }, () => call("PUT", "/v3/customers", { body: [{ id: 1 }] })));
    expect(uncapped.every((r) => r.status === 200)).toBe(true);
    emu().setOptions({ concurrencyCaps: true, latencyMs: 0 });
  });
  it("caps POST addresses at 10 and V2 customer groups at 40 concurrent requests", async () => {
    const c = emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    emu().setOptions({ latencyMs: HOLD_MS });
    const address = (i: number) => [{ customer_id: c.id, first_name: "A", last_name: "B", address1: `${i} Main`, city: "London", country_code: "GB", postal_code: "N1" }];
    const posts = await Promise.all(Array.from({ length: 11 }, (_, i) => call("POST", "/v3/customers/addresses", { body: address(i) })));
    expect(posts.filter((r) => r.status === 429)).toHaveLength(1);
    expect(emu().store(STORE).addresses.count()).toBe(10);
    const groups = await Promise.all(Array.from({ length: 41 }, () => call("GET", "/v2/customer_groups")));
    expect(groups.filter((r) => r.status === 429)).toHaveLength(1);
    expect(Array.isArray(groups.find((r) => r.status === 429)?.body)).toBe(true);
    emu().setOptions({ latencyMs: 0 });
  });
});

describe("fault injection", () => {
  it("answers a status for `count` matching requests, with or without rate headers", async () => {
    emu().faults.add({ method: "GET", path: "/v3/customers", status: 503, count: 1 });
    const first = await call("GET", "/v3/customers");
    expect(first.status).toBe(503);
    expect(hasRateHeaders(first.headers)).toBe(true);
    expect((await call("GET", "/v3/customers")).status).toBe(200);

    emu().faults.add({ path: "/v3/customers", status: 429, rateHeaders: false, count: 1 });
    const shed = await call("GET", "/v3/customers");
    expect(shed.status).toBe(429);
    expect(shed.headers.get("x-rate-limit-requests-left")).toBeNull();
    expect(shed.headers.get("x-retry-after")).toBeNull();
  });

  it("matches method, path regex, skip and probability", async () => {
    emu().faults.add({ method: "POST", path: /^\/v3\/customers$/, status: 500, skip: 1, count: 1 });
    emu().faults.add({ path: "/v3/customers", status: 502, probability: 0 });
    expect((await call("GET", "/v3/customers")).status).toBe(200);
    expect((await call("POST", "/v3/customers", { body: [person(1)] })).status).toBe(200);
    const failed = await call("POST", "/v3/customers", { body: [person(2)] });
    expect(failed.status).toBe(500);
    expect(emu().store(STORE).customers.count()).toBe(1);
  });

  it("matches a full path and a store hash", async () => {
    emu().faults.add({ path: `/stores/${STORE}/v3/customers`, status: 500, count: 1 });
    emu().faults.add({ path: "/v3/customers", storeHash: "other", status: 502 });
    expect((await call("GET", "/v3/customers")).status).toBe(500);
    expect((await call("GET", "/v3/customers")).status).toBe(200);
    expect((await call("GET", "/v3/customers", { store: "other" })).status).toBe(502);
    expect(emu().faults.list()).toHaveLength(1);
  });

  it("adds a delay", async () => {
    emu().faults.add({ path: "/v3/customers", delayMs: 150, count: 1 });
    const started = Date.now();
    expect((await call("GET", "/v3/customers")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("performs the write and then drops the response", async () => {
    emu().faults.add({ method: "POST", path: "/v3/customers", dropResponse: true, count: 1 });
    await expect(call("POST", "/v3/customers", { body: [person(1)] })).rejects.toThrow();
    expect(emu().store(STORE).customers.all().map((c) => c.email)).toEqual(["user1@example.com"]);
    const entry = emu().requests.find((r) => r.method === "POST");
    expect(entry).toMatchObject({ dropped: true, status: 200 });
    // A retry of the same create now meets the duplicate.
    expect((await call("POST", "/v3/customers", { body: [person(1)] })).status).toBe(422);
  });

  it("delayAfterHandlingMs writes first and answers late: a client that gave up still finds the write", async () => {
    emu().faults.add({ method: "POST", path: "/v3/customers", delayAfterHandlingMs: 300, count: 1 });
    await expect(
      fetch(`${emu().url}/stores/${STORE}/v3/customers`, {
        method: "POST",
        headers: { "X-Auth-Token": "t", "Content-Type": "application/json" },
        body: JSON.stringify([person(1)]),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toMatchObject({ name: "TimeoutError" }); // the client's own timeout, not an answer
    // The write landed although the client saw no answer.
    expect(emu().store(STORE).customers.all().map((c) => c.email)).toEqual(["user1@example.com"]);
    // A patient client gets the answer after the delay.
    emu().faults.add({ method: "POST", path: "/v3/customers", delayAfterHandlingMs: 150, count: 1 });
    const t0 = Date.now();
    const reply = await call("POST", "/v3/customers", { body: [person(2)] });
    expect(reply.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("delayMs still runs before the body is handled (a client timeout means nothing is written)", async () => {
    emu().faults.add({ method: "POST", path: "/v3/customers", delayMs: 300, count: 1 });
    await expect(
      fetch(`${emu().url}/stores/${STORE}/v3/customers`, {
        method: "POST",
        headers: { "X-Auth-Token": "t", "Content-Type": "application/json" },
        body: JSON.stringify([person(1)]),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    await sleep(350);
    expect(emu().store(STORE).customers.count()).toBe(0);
  });

  it("drops the connection before handling with dropRequest", async () => {
    emu().faults.add({ method: "POST", path: "/v3/customers", dropRequest: true, count: 1 });
    await expect(call("POST", "/v3/customers", { body: [person(1)] })).rejects.toThrow();
    expect(emu().store(STORE).customers.count()).toBe(0);
  });
});

describe("request log and control API", () => {
  it("logs method, path, parsed and raw query, status; clearRequests empties it", async () => {
    await call("GET", "/v3/customers?id:in=1,2&limit=5");
    await call("DELETE", "/v3/customers?id:in=1");
    expect(emu().requests.map(({ method, path, query, rawQuery, status, storeHash }) => ({ method, path, query, rawQuery, status, storeHash }))).toEqual([
      { method: "GET", path: `/stores/${STORE}/v3/customers`, query: { "id:in": "1,2", limit: "5" }, rawQuery: "id:in=1,2&limit=5", status: 200, storeHash: STORE },
      { method: "DELETE", path: `/stores/${STORE}/v3/customers`, query: { "id:in": "1" }, rawQuery: "id:in=1", status: 204, storeHash: STORE },
    ]);
    expect(typeof emu().requests[0]?.at).toBe("number");
    expect(emu().requests.map((r) => r.items)).toEqual([undefined, undefined]);
    await call("POST", "/v3/customers", { body: [person(1), person(2)] });
    expect(emu().requests.at(-1)?.items).toBe(2); // how full a batch call was
    emu().clearRequests();
    expect(emu().requests).toHaveLength(0);
  });

  it("serves /__emulator for standalone runs (faults, options, requests, reset)", async () => {
    const base = `${emu().url}/__emulator`;
    const json = { "Content-Type": "application/json" };
    const added = await fetch(`${base}/faults`, { method: "POST", headers: json, body: JSON.stringify({ method: "GET", path: "/v3/customers", status: 502, count: 1 }) });
    expect(added.status).toBe(201);
    expect((await call("GET", "/v3/customers")).status).toBe(502);
    expect((await fetch(`${base}/options`, { method: "PATCH", headers: json, body: JSON.stringify({ rateQuota: "x" }) })).status).toBe(400);
    expect((await fetch(`${base}/options`, { method: "PATCH", headers: json, body: JSON.stringify({ rateQuota: 7 }) })).status).toBe(204);
    expect((await call("GET", "/v3/customers")).headers.get("x-rate-limit-requests-quota")).toBe("7");
    const log = (await (await fetch(`${base}/requests`)).json()) as unknown[];
    expect(log.length).toBeGreaterThanOrEqual(2);
    emu().store(STORE).customers.insert({ email: "a@x.co", first_name: "A", last_name: "B" });
    expect((await fetch(`${base}/reset`, { method: "POST" })).status).toBe(204);
    expect(emu().store(STORE).customers.count()).toBe(0);
    expect(emu().requests).toHaveLength(0);
  });
});

describe("HTTP edges", () => {
  it("answers malformed JSON, a non-JSON body and unknown paths with JSON errors", async () => {
    const malformed = await call("POST", "/v3/customers", { rawBody: "{not json" });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ status: 400, title: "Input is invalid", type: V3_TYPE, detail: "Syntax error" });
    const text = await call("POST", "/v3/customers", { rawBody: "hello", headers: { "Content-Type": "text/plain" } });
    expect(text.status).toBe(415);
    expect(text.headers.get("content-type")).toContain("application/json");
    const nowhere = await call("GET", "/v3/orders");
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.status).toBe(404);
    expect((await call("PATCH", "/v3/customers", { body: [] })).status).toBe(405);
    const root = await fetch(`${emu().url}/`);
    expect(root.headers.get("x-powered-by")).toBeNull();
    expect(root.headers.get("content-type")).toContain("application/json");
  });

  it("keeps stores apart", async () => {
    await call("POST", "/v3/customers", { body: [person(1)], store: "one" });
    expect((await call("GET", "/v3/customers", { store: "two" })).body.data).toEqual([]);
    expect(emu().store("one").customers.count()).toBe(1);
  });
});
