/**
 * The request's deadline across the hop to the leading replica (src/http/request-deadline.ts,
 * forward-to-leader.ts): the follower passes what it has left, the leader keeps a little less,
 * and the follower waits no longer than its own hard limit (it used to wait up to 65 s, past the
 * IdPs' 60 s).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { currentDeadline } from "../../src/bigcommerce/deadline.js";
import { errorHandler } from "../../src/http/error-handler.js";
import { forwardToLeader } from "../../src/http/forward-to-leader.js";
import { ReplicaHops } from "../../src/http/replica-hop.js";
import { enterRequestDeadline, FORWARD_HOP_MS, FORWARDED_DEADLINE_HEADER } from "../../src/http/request-deadline.js";
import { jsonBody } from "../../src/http/json-body.js";

let leader: Server | undefined;
afterEach(async () => {
  leader?.closeAllConnections();
  await new Promise<void>((resolve) => (leader ? leader.close(() => resolve()) : resolve()));
  leader = undefined;
});

describe("a follower passing a request to the leader", () => {
  it("passes what its request has left, and answers 503 with Retry-After at its own hard limit when the leader does not answer", async () => {
    const seen: string[] = [];
    // A leader that takes the request and never answers.
    leader = createServer((req) => {
      seen.push(String(req.headers[FORWARDED_DEADLINE_HEADER]));
    });
    await new Promise<void>((resolve) => leader!.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(leader.address() as AddressInfo).port}`;

    const app = express();
    const scim = express.Router();
    scim.use(enterRequestDeadline(300, { hardLimitMs: 800 }));
    scim.use(jsonBody("1mb"));
    const hops = new ReplicaHops("forward-deadline-test-secret-0123456789");
    scim.use(forwardToLeader({ leader: () => ({ url, self: false, id: "leader-1" }) }, pino({ level: "silent" }), { hops }).middleware);
    app.use("/scim/v2", scim);
    app.use(errorHandler(pino({ level: "silent" })));

    const res = await request(app).get("/scim/v2/Users/7");
    expect(res.status).toBe(503);
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(seen).toHaveLength(1);
    const [budgetLeft, hardLeft] = seen[0]!.split(",").map(Number);
    expect(budgetLeft).toBeLessThanOrEqual(300);
    expect(hardLeft).toBeLessThanOrEqual(800);
    expect(budgetLeft).toBeLessThanOrEqual(hardLeft!);
  });
});

describe("the leader serving a forwarded request", () => {
  /** The leader after the hop's check (replica-hop.ts, tested there): a checked hop is marked on the request. */
  const HOP_CHECKED = "x-test-hop-checked";
  const leaderApp = () => {
    const app = express();
    app.use((req, _res, next) => {
      if (req.headers[HOP_CHECKED]) req.replicaHop = { nonce: "n", bodyDigest: "" };
      next();
    });
    app.use(enterRequestDeadline(55_000));
    app.get("/", (_req, res) => {
      const d = currentDeadline()!;
      res.json({ budgetLeft: d.at - Date.now(), hardLeft: d.hardAt - Date.now() });
    });
    return app;
  };

  it("works within what the follower had left, less the hop back", async () => {
    const res = await request(leaderApp()).get("/").set(HOP_CHECKED, "1").set(FORWARDED_DEADLINE_HEADER, "2000,5000");
    expect(res.body.budgetLeft).toBeLessThanOrEqual(2000 - FORWARD_HOP_MS);
    expect(res.body.hardLeft).toBeLessThanOrEqual(5000 - FORWARD_HOP_MS);
  });

  it("never lengthens its own budget for a header, nor reads it on a request no replica passed on", async () => {
    const longer = await request(leaderApp()).get("/").set(HOP_CHECKED, "1").set(FORWARDED_DEADLINE_HEADER, "999999,999999");
    expect(longer.body.budgetLeft).toBeLessThanOrEqual(55_000);
    const direct = await request(leaderApp()).get("/").set(FORWARDED_DEADLINE_HEADER, "10,10");
    expect(direct.body.budgetLeft).toBeGreaterThan(50_000);
  });
});
