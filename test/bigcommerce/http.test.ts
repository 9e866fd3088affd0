import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { CustomerGroupId, CustomerId, NonEmpty } from "../../src/bigcommerce/api.js";
import { createBigCommerceClient, type BigCommerceClientConfig } from "../../src/bigcommerce/client.js";
import {
  AuthenticationError,
  ConflictError,
  InvalidQueryError,
  RateLimitedError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
  ValidationFailedError,
} from "../../src/bigcommerce/errors.js";
import { RequestBudgetSpentError } from "../../src/bigcommerce/deadline.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { customer, json, page, scriptedServer, type Handler } from "./helpers/scripted-server.js";
import { track, type Tracked } from "./helpers/track.js";

const TOKEN = "tok-SECRET-0123456789";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(handler: Handler, config: Partial<BigCommerceClientConfig> = {}) {
  const server = await scriptedServer(handler);
  const client = createBigCommerceClient({
    apiUrl: server.url,
    storeHash: "abc123",
    accessToken: TOKEN,
    requestTimeoutMs: 400,
    maxWaitMs: 3000,
    batchWindowMs: 0,
    random: () => 1,
    retry: { baseDelayMs: 10, maxDelayMs: 40, bare429BaseDelayMs: 150, bare429MaxDelayMs: 600 },
    ...config,
  });
  cleanups.push(() => server.close(), () => client.close());
  return { server, client };
}

/** Lets real I/O run on a fake clock until `done()`, without letting fake time pass (the
 * test's timeout bounds it). */
async function driveUntil(clock: FakeClock, done: () => boolean): Promise<void> {
  while (!done()) {
    await clock.advance(0);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const drive = (clock: FakeClock, call: Tracked<unknown>): Promise<void> => driveUntil(clock, () => call.settled);

function expectNoSecret(error: unknown): void {
  const text = `${String(error)} ${(error as Error).stack ?? ""} ${JSON.stringify(error)}`;
  expect(text).not.toContain(TOKEN);
}

describe("requests on the wire", () => {
  it("sends the token and JSON headers, and BigCommerce-style query strings", async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, page([])));
    await client.customers.list({ "email:in": ["a+b@example.com", "c@example.com"], include: ["attributes"], limit: 5 });
    const req = server.requests[0];
    expect(req?.method).toBe("GET");
    expect(req?.url).toBe("/stores/abc123/v3/customers?email:in=a%2Bb%40example.com,c%40example.com&include=attributes&limit=5");
    expect(req?.headers["x-auth-token"]).toBe(TOKEN);
    expect(req?.headers.accept).toBe("application/json");
  });

  it("refuses a comma inside a list value without sending anything", async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, page([])));
    await expect(client.customers.list({ "email:in": ["a@x.com,b@y.com"] })).rejects.toBeInstanceOf(InvalidQueryError);
    expect(server.requests).toHaveLength(0);
  });

  it("deletes exactly the validated ids with DELETE /v3/customers?id:in=", async () => {
    const { server, client } = await setup((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await client.customers.delete([3, 1, 2] as unknown as NonEmpty<CustomerId>);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["DELETE /stores/abc123/v3/customers?id:in=3,1,2"]);
    expect(server.requests[0]?.body).toBe("");
  });

  it.each([
    ["an empty list", []],
    ["a zero", [0]],
    ["a duplicate", [5, 5]],
    ["a string", ["5"]],
    ["a fraction", [2.5]],
    ["251 ids", Array.from({ length: 251 }, (_, i) => i + 1)],
  ])("refuses to delete with %s, before any I/O", async (_name, ids) => {
    const { server, client } = await setup((_req, res) => json(res, 204, undefined));
    await expect(client.customers.delete(ids as unknown as NonEmpty<CustomerId>)).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(client.attributeValues.delete(ids as unknown as NonEmpty<number>)).rejects.toBeInstanceOf(InvalidQueryError);
    await expect(client.metafields.delete(ids as unknown as NonEmpty<number>)).rejects.toBeInstanceOf(InvalidQueryError);
    expect(server.requests).toHaveLength(0);
  });

  it("sends metafield deletes as a JSON array of ids", async () => {
    const { server, client } = await setup((_req, res) => json(res, 200, { data: [7, 8], errors: [], meta: {} }));
    await client.metafields.delete([7, 8]);
    expect(server.requests[0]?.method).toBe("DELETE");
    expect(server.requests[0]?.url).toBe("/stores/abc123/v3/customers/metafields");
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual([7, 8]);
  });
});

describe("retries of idempotent requests", () => {
  it("retries a GET through 5xx answers", async () => {
    const { server, client } = await setup((_req, res, n) => (n < 3 ? json(res, 503, {}) : json(res, 200, page([customer(1, "a@x.com")]))));
    const result = await client.customers.list({});
    expect(result.data).toHaveLength(1);
    expect(server.requests).toHaveLength(3);
    expect(client.stats()).toMatchObject({ calls: 3, retries: 2, byStatus: { "503": 2, "200": 1 } });
  });

  it("gives up after the policy's attempts with UpstreamUnavailableError", async () => {
    const { server, client } = await setup((_req, res) => json(res, 502, { title: "Bad gateway" }));
    const error = await client.customers.list({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).status).toBe(502);
    expect(server.requests).toHaveLength(3);
    expectNoSecret(error);
  });

  it("retries a GET whose connection was dropped", async () => {
    const { server, client } = await setup((_req, res, n) => (n === 1 ? res.socket?.destroy() : json(res, 200, page([]))));
    await expect(client.customers.list({})).resolves.toMatchObject({ data: [] });
    expect(server.requests).toHaveLength(2);
  });

  it("times out a GET that gets no answer and retries it", async () => {
    const { server, client } = await setup((_req, res, n) => {
      if (n > 1) json(res, 200, page([]));
      // n === 1: never answer
    });
    const started = Date.now();
    await expect(client.customers.list({})).resolves.toMatchObject({ data: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(server.requests).toHaveLength(2);
  });

  it("retries DELETE on 5xx (deleting twice is harmless)", async () => {
    const { server, client } = await setup((_req, res, n) => (n === 1 ? json(res, 500, {}) : json(res, 204, undefined)));
    await client.customers.delete([9 as CustomerId]);
    expect(server.requests).toHaveLength(2);
  });
});

describe("writes are never resent blindly", () => {
  it("surfaces a POST that failed with 5xx after one request", async () => {
    const { server, client } = await setup((_req, res) => json(res, 503, {}));
    await expect(client.attributes.create([{ name: "title", type: "string" }])).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it("surfaces a PUT whose connection dropped after one request", async () => {
    const { server, client } = await setup((_req, res) => res.socket?.destroy());
    const error = await client.customerGroups.update(4 as CustomerGroupId, { name: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it("surfaces a POST that timed out after one request", async () => {
    const { server, client } = await setup(() => {
      /* never answers */
    });
    await expect(client.attributes.create([{ name: "title", type: "string" }])).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it("re-reads before re-sending a customer create that failed with 5xx", async () => {
    const { server, client } = await setup((req, res, n) => {
      if (n === 1) return json(res, 500, {});
      if (req.method === "GET") return json(res, 200, page([]));
      return json(res, 200, { data: [customer(11, "new@x.com")], meta: {} });
    });
    const created = await client.customers.create({ email: "new@x.com", first_name: "First", last_name: "Last" });
    expect(created.id).toBe(11);
    expect(server.requests.map((r) => r.method)).toEqual(["POST", "GET", "POST"]);
    expect(server.requests[1]?.url).toBe("/stores/abc123/v3/customers?email:in=new%40x.com&include=attributes,formfields&limit=250");
  });

  it("settles a customer create whose response was lost through the re-read alone", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.method === "POST") return res.socket?.destroy();
      return json(res, 200, page([customer(12, "new@x.com")]));
    });
    const created = await client.customers.create({ email: "new@x.com", first_name: "First", last_name: "Last" });
    expect(created.id).toBe(12);
    expect(server.requests.map((r) => r.method)).toEqual(["POST", "GET"]);
  });
});

describe("429 handling", () => {
  it("waits max(X-Retry-After, Reset-Ms) and then retries, for writes too", async () => {
    // Fake time: the retry goes out exactly when the longer of the two waits has passed.
    const clock = new FakeClock();
    const { server, client } = await setup(
      (_req, res, n) =>
        n === 1
          ? json(res, 429, { status: 429, title: "Too many requests" }, { "X-Retry-After": "1", "X-Rate-Limit-Time-Reset-Ms": "200" })
          : json(res, 200, { data: [{ id: 1, name: "title", type: "string" }], meta: {} }),
      { clock },
    );
    const creating = track(client.attributes.create([{ name: "title", type: "string" }]));
    await driveUntil(clock, () => clock.pendingTimers > 0); // the 429 arrived: waiting to retry
    await clock.advance(999);
    expect(server.requests).toHaveLength(1);
    await clock.advance(1);
    await drive(clock, creating);
    expect((creating.value as { id: number }[])[0]?.id).toBe(1);
    expect(server.requests).toHaveLength(2);
  });

  it("backs off on a 429 without headers instead of retrying at once", async () => {
    const { server, client } = await setup((_req, res, n) => (n === 1 ? json(res, 429, {}) : json(res, 200, page([]))));
    await client.customers.list({});
    const gap = (server.requests[1]?.at ?? 0) - (server.requests[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(140);
  });

  it("treats a 429 with requests left and no X-Retry-After as a concurrency cap: short backoff, that endpoint only", async () => {
    const capHeaders = {
      "X-Rate-Limit-Requests-Left": "140",
      "X-Rate-Limit-Requests-Quota": "150",
      "X-Rate-Limit-Time-Reset-Ms": "25000",
      "X-Rate-Limit-Time-Window-Ms": "30000",
    };
    let puts = 0;
    const clock = new FakeClock();
    const { server, client } = await setup(
      (req, res) => {
        if (req.method === "PUT" && ++puts === 1) return json(res, 429, { status: 429, title: "Too many concurrent requests" }, capHeaders);
        if (req.method === "PUT") return json(res, 200, { data: [customer(7, "a@example.com", { first_name: "New" })], meta: {} }, capHeaders);
        return json(res, 200, page([]), capHeaders);
      },
      { retry: { concurrency429BaseDelayMs: 300, concurrency429MaxDelayMs: 600 }, clock },
    );
    const t0 = clock.now();
    const update = track(client.customers.update({ id: 7 as CustomerId, first_name: "New" }));
    await driveUntil(clock, () => puts === 1);
    // Other endpoints of the store are not held back meanwhile: the list needs no time to pass.
    const listed = track(client.customers.list({}));
    await drive(clock, listed);
    expect(listed.error).toBeUndefined();
    expect(client.governorState().blockedUntil).toBeLessThanOrEqual(clock.now());
    // The PUT's short backoff (at most 600 ms), not the 25 s left in the window.
    await clock.advance(600);
    await drive(clock, update);
    expect((update.value as { first_name: string }).first_name).toBe("New");
    expect(clock.now() - t0).toBe(600);
    expect(server.requests.filter((r) => r.method === "PUT")).toHaveLength(2);
  });

  it("answers a concurrency-cap 429 whose backoff does not fit the bound as BigCommerce busy (503), not the quota's 429", async () => {
    const capHeaders = { "X-Rate-Limit-Requests-Left": "140", "X-Rate-Limit-Requests-Quota": "150", "X-Rate-Limit-Time-Reset-Ms": "25000", "X-Rate-Limit-Time-Window-Ms": "30000" };
    const clock = new FakeClock();
    const { server, client } = await setup((_req, res) => json(res, 429, { status: 429, title: "Too many concurrent requests" }, capHeaders), {
      retry: { concurrency429BaseDelayMs: 5000, concurrency429MaxDelayMs: 5000 },
      clock,
    });
    const update = track(client.customers.update({ id: 7 as CustomerId, first_name: "New" }));
    await drive(clock, update);
    expect(update.error).toBeInstanceOf(RequestBudgetSpentError);
    expect(update.error).not.toBeInstanceOf(RateLimitedError);
    expect((update.error as RequestBudgetSpentError).retryAfterMs).toBe(5000);
    expect(server.requests).toHaveLength(1);
    // The quota was never the cause: the store is not held back.
    expect(client.governorState().blockedUntil).toBeLessThanOrEqual(clock.now());
  });

  it("answers RateLimitedError at once when the wait exceeds the bound", async () => {
    const clock = new FakeClock();
    const { server, client } = await setup(
      (_req, res) =>
        json(res, 429, {}, { "X-Retry-After": "60", "X-Rate-Limit-Time-Reset-Ms": "60000", "X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Requests-Quota": "150", "X-Rate-Limit-Time-Window-Ms": "30000" }),
      { clock },
    );
    // Fake time never moves: "at once" means no time had to pass for the answer.
    const listed = track(client.customers.list({}));
    await drive(clock, listed);
    const error = listed.error;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(58_000);
    expect(server.requests).toHaveLength(1);
    // Later calls are refused without touching the store while it is blocked.
    await expect(client.customers.list({})).rejects.toBeInstanceOf(RateLimitedError);
    expect(server.requests).toHaveLength(1);
  });
});

describe("errors", () => {
  it("maps 401 to AuthenticationError without the token in the message", async () => {
    const { client } = await setup((_req, res) => json(res, 401, { status: 401, title: `bad token ${"x"}` }));
    const error = await client.customers.list({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).status).toBe(401);
    expectNoSecret(error);
  });

  it("maps a V3 422 to ValidationFailedError with the fields", async () => {
    const { client } = await setup((_req, res) =>
      json(res, 422, { status: 422, title: "The filter(s): foo are not valid filter parameter(s).", type: "x", errors: {} }),
    );
    const error = (await client.customers.list({}).catch((e: unknown) => e)) as ValidationFailedError;
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(error.title).toContain("not valid filter");
  });

  it("rejects a response that fails validation with UnexpectedResponseError", async () => {
    const { client } = await setup((_req, res) => json(res, 200, page([{ email: "no-id@x.com" }])));
    await expect(client.customers.list({})).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it("never logs the token or a password", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { client } = await setup(
      (req, res) => (req.method === "PUT" ? json(res, 503, {}) : json(res, 200, page([customer(5, "a@x.com")]))),
      { logger: pino({ level: "debug" }, sink) },
    );
    const error = await client.customers
      .update({ id: 5 as CustomerId, authentication: { new_password: "Pa55word-secret" } })
      .catch((e: unknown) => e);
    expect(error).toBeDefined();
    const text = lines.join("") + String(error) + JSON.stringify(error);
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("Pa55word-secret");
  });
});

describe("V2 customer groups", () => {
  it("reads 204 No Content as an empty list", async () => {
    const { client } = await setup((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(client.customerGroups.list({})).resolves.toEqual([]);
  });

  it("answers null for a group that does not exist, and ConflictError for a taken name", async () => {
    const { client } = await setup((req, res) =>
      req.method === "GET"
        ? json(res, 404, [{ status: 404, message: "The requested resource was not found." }])
        : json(res, 409, [{ status: 409, message: "The customer group name 'A' is already in use." }]),
    );
    await expect(client.customerGroups.get(3 as CustomerGroupId)).resolves.toBeNull();
    await expect(client.customerGroups.create({ name: "A" })).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("configuration", () => {
  it("rejects a bad configuration without echoing the token", () => {
    let error: unknown;
    try {
      createBigCommerceClient({ apiUrl: "not a url", storeHash: "abc", accessToken: TOKEN });
    } catch (e) {
      error = e;
    }
    expect(String(error)).toContain("apiUrl");
    expect(String(error)).not.toContain(TOKEN);
  });
});

describe("deadlines below the batcher", () => {
  it("sends nothing for a call whose deadline has already passed (no slot, no permit)", async () => {
    const { HttpClient } = await import("../../src/bigcommerce/http.js");
    const { RateGovernor } = await import("../../src/bigcommerce/governor.js");
    const { ConcurrencyLimiter } = await import("../../src/bigcommerce/concurrency.js");
    const { Transport } = await import("../../src/bigcommerce/transport.js");
    const { CustomersEndpoint } = await import("../../src/bigcommerce/customers.js");
    const { DEFAULT_RETRY_POLICY } = await import("../../src/bigcommerce/retry-policy.js");
    const { systemClock } = await import("../../src/bigcommerce/clock.js");
    const server = await scriptedServer((_req, res) => json(res, 200, { data: [], meta: {} }));
    const http = new HttpClient({ apiUrl: server.url, storeHash: "abc123", accessToken: TOKEN, connectTimeoutMs: 400, requestTimeoutMs: 400 });
    cleanups.push(() => server.close(), () => http.close());
    const governor = new RateGovernor({ assumedQuota: 100 });
    const transport = new Transport({ http, governor, limiter: new ConcurrencyLimiter(), policy: DEFAULT_RETRY_POLICY, clock: systemClock, maxWaitMs: 1000 });
    const customers = new CustomersEndpoint(transport);
    const item = { email: "a@example.com", first_name: "A", last_name: "B" };
    // Its time was spent before it was asked for: a 503, not the quota's 429.
    await expect(customers.postBatch([item], { deadline: Date.now() - 5 })).rejects.toBeInstanceOf(RequestBudgetSpentError);
    await expect(customers.putBatch([{ id: 1 as CustomerId, company: "x" }], { deadline: Date.now() - 5 })).rejects.toBeInstanceOf(RequestBudgetSpentError);
    expect(server.requests).toHaveLength(0);
    expect(governor.state().inFlight).toBe(0);
  });
});

describe("customer groups after a lost answer", () => {
  const group = (id: number, name: string) => ({ id, name, is_default: false, category_access: { type: "all" }, discount_rules: [] });

  it("treats 404 on the resend of a DELETE whose first answer was lost as deleted", async () => {
    const { server, client } = await setup((req, res, n) => {
      if (n === 1) return res.destroy(); // deleted, but the answer is lost
      return json(res, 404, [{ status: 404, message: "The requested resource was not found." }]);
    });
    await expect(client.customerGroups.delete(4 as CustomerGroupId)).resolves.toBeUndefined();
    expect(server.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
  });

  it("still answers NotFoundError for a 404 on the first attempt", async () => {
    const { client } = await setup((_req, res) => json(res, 404, [{ status: 404, message: "The requested resource was not found." }]));
    await expect(client.customerGroups.delete(4 as CustomerGroupId)).rejects.toMatchObject({ code: "BC_NOT_FOUND" });
  });

  const v2Now = () => new Date().toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "");

  it("finds a group whose POST lost its answer by name instead of failing", async () => {
    const { server, client } = await setup((req, res) => {
      if (req.method === "POST") return res.destroy(); // created, answer lost
      return json(res, 200, [{ ...group(9, "Staff"), date_created: v2Now() }, group(10, "Staff 2")]);
    });
    await expect(client.customerGroups.create({ name: "Staff" })).resolves.toMatchObject({ id: 9, name: "Staff" });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /stores/abc123/v2/customer_groups",
      "GET /stores/abc123/v2/customer_groups?name=Staff",
    ]);
  });

  it("never takes a group that existed before the attempt (a merchant's) for the one it created", async () => {
    const { client } = await setup((req, res) =>
      req.method === "POST" ? json(res, 502, { status: 502, title: "Bad Gateway" }) : json(res, 200, [{ ...group(1, "Gold"), date_created: "2020-05-01 10:00:00" }]),
    );
    await expect(client.customerGroups.create({ name: "Gold" })).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it("reports the failure when the group is not there", async () => {
    const { client } = await setup((req, res) => (req.method === "POST" ? res.destroy() : json(res, 204, undefined)));
    await expect(client.customerGroups.create({ name: "Staff" })).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe("clock skew and our own lost create", () => {
  async function lostCreateWithServerBehindBy(skewMs: number) {
    const serverNow = () => new Date(Date.now() - skewMs);
    const createdAt = { value: "" };
    const { client } = await setup((req, res) => {
      const date = { Date: serverNow().toUTCString() };
      if (req.method === "POST") {
        createdAt.value = serverNow().toISOString().replace(/\.\d{3}Z$/, "Z");
        res.destroy(); // written, answer lost
        return;
      }
      const found = createdAt.value ? [customer(5, "a@example.com", { first_name: "A", last_name: "B", date_created: createdAt.value })] : [];
      json(res, 200, page(found), date);
    });
    return client.customers.create({ email: "a@example.com", first_name: "A", last_name: "B" });
  }

  it("widens the created-by-us tolerance by the skew measured from Date headers", async () => {
    await expect(lostCreateWithServerBehindBy(30_000)).resolves.toMatchObject({ id: 5 });
  });
});
