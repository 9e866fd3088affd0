/**
 * Followers pass SCIM requests to the leading replica (src/http/forward-to-leader.ts) with a hop
 * credential of their own (src/http/replica-hop.ts): what is passed on and back, when a follower
 * serves the request itself instead, and what a leader refuses (a forged, stale, replayed or
 * misdirected hop) and a follower refuses (an answer the leader did not sign for this request).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type RequestHandler } from "express";
import pino from "pino";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { errorHandler } from "../../src/http/error-handler.js";
import { forwardToLeader, type LeaderView } from "../../src/http/forward-to-leader.js";
import { jsonBody } from "../../src/http/json-body.js";
import { FORWARDED_DEADLINE_HEADER } from "../../src/http/request-deadline.js";
import { ScimError } from "../../src/scim-error.js";
import { HOP_HEADER, HOP_WINDOW_MS, ReplicaHops, SERVED_HEADER } from "../../src/http/replica-hop.js";

const SECRET = "the-replica-secret-shared-by-every-replica";
const LEADER_ID = "leader-replica-id";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function listen(handler: (req: IncomingMessage, res: import("node:http").ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const refuseBearer: RequestHandler = (req, _res, next) => {
  if (req.get("authorization") === "Bearer t0ken") {
    req.scimClient = "token#1";
    return next();
  }
  next(new ScimError(401, null, "Missing bearer token"));
};

/** The SCIM router's front as app.ts builds it: hop check, authentication, body parser, body check. */
function front(hops: ReplicaHops, ownId: string | undefined, rest: RequestHandler[]): express.Express {
  const app = express();
  const scim = express.Router();
  scim.use(hops.accept(() => ownId));
  scim.use(ReplicaHops.orAuthenticate(refuseBearer));
  scim.use(jsonBody("1mb"));
  scim.use(hops.checkBody);
  for (const h of rest) scim.use(h);
  app.use("/scim/v2", scim);
  app.use(errorHandler(pino({ level: "silent" })));
  return app;
}

/** A genuine leader: records what reached it (as parsed) and answers 201. */
async function startLeader(hops = new ReplicaHops(SECRET)): Promise<{ url: string; seen: Seen[]; clients: string[] }> {
  const seen: Seen[] = [];
  const clients: string[] = [];
  const app = front(hops, LEADER_ID, [
    (req, res) => {
      seen.push({ method: req.method, url: req.originalUrl, headers: req.headers, body: JSON.stringify(req.body ?? null) });
      clients.push(req.scimClient ?? "");
      res.status(201).set({ "Content-Type": "application/scim+json", ETag: 'W/"7"', Location: "http://bridge/scim/v2/Users/7", "X-Internal": "no" });
      res.send(JSON.stringify({ id: "7", servedBy: "leader" }));
    },
  ]);
  const { url } = await listen((req, res) => app(req, res));
  return { url, seen, clients };
}

/** A stand-in at the leader's address that is not a genuine leader. */
async function startImpostor(answer: "drop" | "proxy-502" | "unsigned" | "stamped"): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const { url } = await listen((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (answer === "drop") return req.socket.destroy();
      if (answer === "proxy-502") return res.writeHead(502, { "Content-Type": "text/plain" }).end("upstream connect error");
      const headers: Record<string, string> = { "Content-Type": "application/scim+json" };
      if (answer === "stamped") headers[SERVED_HEADER] = "1";
      res.writeHead(200, headers).end(JSON.stringify({ Resources: [{ id: "forged" }] }));
    });
  });
  return { url, seen };
}

/** A follower: the same front, the forwarder, and a handler that marks a request served here. */
function follower(view: LeaderView, options: { clock?: () => number; hops?: ReplicaHops } = {}) {
  const hops = options.hops ?? new ReplicaHops(SECRET, options.clock);
  return front(hops, "follower-id", [
    forwardToLeader(view, pino({ level: "silent" }), { hops, ...(options.clock ? { now: options.clock } : {}) }).middleware,
    (req, res) => {
      res.status(200).json({ servedBy: "follower", body: req.body, client: req.scimClient });
    },
  ]);
}

const at = (url: string, self = false, id = LEADER_ID): LeaderView => ({ leader: () => ({ url, self, id }) });

describe("forwarding to the leading replica", () => {
  it("passes method, path, query and checked body with a hop credential instead of the IdP's token; passes the signed answer back", async () => {
    const { url, seen, clients } = await startLeader();
    const res = await request(follower(at(url)))
      .post("/scim/v2/Users?attributes=userName")
      .set("Authorization", "Bearer t0ken")
      .set("If-Match", 'W/"6"')
      .set("Content-Type", "application/scim+json")
      .set("Cookie", "not=passed")
      .send({ userName: "a@example.com", name: { givenName: "A" } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: "7", servedBy: "leader" });
    expect(res.headers.etag).toBe('W/"7"');
    expect(res.headers.location).toBe("http://bridge/scim/v2/Users/7");
    expect(res.headers["x-internal"]).toBeUndefined();
    expect(res.headers[SERVED_HEADER]).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/scim/v2/Users?attributes=userName" });
    expect(seen[0]!.headers).toMatchObject({ "if-match": 'W/"6"' });
    expect(seen[0]!.headers[HOP_HEADER]).toMatch(/^\d+\.[\w-]+\.[\w-]+$/);
    // The IdP's bearer token never leaves the follower; the leader knows who called from the hop.
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen[0]!.headers)).not.toContain("t0ken");
    expect(clients).toEqual(["token#1"]);
    expect(seen[0]!.headers.cookie).toBeUndefined();
    expect(JSON.parse(seen[0]!.body)).toEqual({ userName: "a@example.com", name: { givenName: "A" } });
  });

  it("refuses hostile input itself, before anything is passed on", async () => {
    const { url, seen } = await startLeader();
    const res = await request(follower(at(url)))
      .post("/scim/v2/Users")
      .set("Authorization", "Bearer t0ken")
      .set("Content-Type", "application/scim+json")
      .send('{"userName":"a@example.com","__proto__":{"admin":true}}');
    expect(res.status).toBe(400);
    expect(seen).toEqual([]);
  });

  it("serves the request itself when it leads or when no leader is known", async () => {
    const { url, seen } = await startLeader();
    expect((await request(follower(at(url, true))).get("/scim/v2/Users").set("Authorization", "Bearer t0ken")).body.servedBy).toBe("follower");
    expect((await request(follower({ leader: () => undefined })).get("/scim/v2/Users").set("Authorization", "Bearer t0ken")).body.servedBy).toBe("follower");
    expect(seen).toEqual([]);
  });

  it("a replica that receives a forwarded request serves it, never forwards it again", async () => {
    const onward = await startLeader();
    // The "leader" here is itself a follower that believes another replica leads.
    const middle = follower(at(onward.url), {});
    const { url } = await listen((req, res) => middle(req, res));
    const hops = new ReplicaHops(SECRET);
    const res = await request(follower(at(url, false, "follower-id"), { hops })).get("/scim/v2/Users").set("Authorization", "Bearer t0ken");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ servedBy: "follower", client: "token#1" });
    expect(onward.seen).toEqual([]);
  });

  it("serves the request itself when the leader cannot be reached (nothing was delivered)", async () => {
    const { url } = await startLeader();
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const res = await request(follower(at(url))).patch("/scim/v2/Users/7").set("Authorization", "Bearer t0ken").send({ Operations: [] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ servedBy: "follower", body: { Operations: [] } });
  });

  it("answers 503 with Retry-After when the leader took the request and gave no answer (the outcome is unknown)", async () => {
    const { url, seen } = await startImpostor("drop");
    const res = await request(follower(at(url))).post("/scim/v2/Users").set("Authorization", "Bearer t0ken").send({ userName: "b@example.com" });
    expect(seen).toHaveLength(1);
    expect(res.status).toBe(503);
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
  });

  it.each(["proxy-502", "unsigned", "stamped"] as const)("an answer the leader did not sign (%s) is a SCIM 503, never passed through", async (kind) => {
    const { url, seen } = await startImpostor(kind);
    const res = await request(follower(at(url))).get("/scim/v2/Users").set("Authorization", "Bearer t0ken");
    expect(seen).toHaveLength(1);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
    expect(JSON.stringify(res.body)).not.toContain("forged");
  });

  it("an answer signed with another secret, or a genuine signature on another answer, is a SCIM 503", async () => {
    // A replica of another store (or another secret) answers at the leader's address.
    const other = await startLeader(new ReplicaHops("another-secret-of-another-deployment-xx"));
    expect((await request(follower(at(other.url))).get("/scim/v2/Users").set("Authorization", "Bearer t0ken")).status).toBe(503);
    // A man in the middle changes the body of a genuine answer, keeping its signature.
    const genuine = await startLeader();
    const { url: mitm } = await listen((req, res) => {
      const upstream = new URL(genuine.url);
      const hop = require_("node:http").request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        answer.resume();
        answer.on("end", () => {
          const headers = { ...answer.headers };
          delete headers["content-length"];
          res.writeHead(answer.statusCode ?? 500, headers).end(JSON.stringify({ id: "7", servedBy: "mallory" }));
        });
      });
      req.pipe(hop);
    });
    const res = await request(follower(at(mitm))).get("/scim/v2/Users").set("Authorization", "Bearer t0ken");
    expect(genuine.seen).toHaveLength(1);
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).not.toContain("mallory");
  });

  it("serves here when TLS to the leader fails in the handshake (an https REPLICA_URL on a plain-http replica)", async () => {
    const { url, seen } = await startLeader();
    const res = await request(follower(at(url.replace("http:", "https:")))).get("/scim/v2/Users").set("Authorization", "Bearer t0ken");
    expect(res.body.servedBy).toBe("follower");
    expect(seen).toEqual([]);
  });

  it("after failures in a row, leaves the leader's address alone for a while (a breaker), then tries it again", async () => {
    const { url, seen } = await startImpostor("proxy-502");
    let now = Date.now();
    const app = follower(at(url), { clock: () => now });
    const get = () => request(app).get("/scim/v2/Users").set("Authorization", "Bearer t0ken");
    for (let i = 0; i < 3; i += 1) expect((await get()).status).toBe(503);
    expect(seen).toHaveLength(3);
    // Open: served here, the leader is not asked.
    expect((await get()).body.servedBy).toBe("follower");
    expect(seen).toHaveLength(3);
    now += 31_000;
    expect((await get()).status).toBe(503);
    expect(seen).toHaveLength(4);
  });
});

describe("the leader's check of a hop", () => {
  /** Captures what a follower sends, so that a test can send it again, changed or not. */
  async function capturedHop(path = "/scim/v2/Users?filter=x", body?: unknown): Promise<Seen> {
    const { url, seen } = await startImpostor("unsigned");
    const req = request(follower(at(url)))[body === undefined ? "get" : "post"](path).set("Authorization", "Bearer t0ken");
    await (body === undefined ? req : req.send(body as object));
    return seen[0]!;
  }
  const replay = (app: express.Express, hop: Seen, change: (h: Record<string, string>) => void = () => undefined, body?: string) => {
    const headers = Object.fromEntries(Object.entries(hop.headers).filter(([k]) => k !== "content-length" && k !== "connection")) as Record<string, string>;
    change(headers);
    const r = request(app)[hop.method.toLowerCase() as "get"](hop.url).set(headers);
    return body ?? hop.body ? r.send(body ?? hop.body) : r;
  };
  const leaderApp = (clock?: () => number, id = LEADER_ID) =>
    front(new ReplicaHops(SECRET, clock), id, [(req, res) => res.status(200).json({ served: true, client: req.scimClient, body: req.body })]);

  it("accepts a genuine, fresh hop once, as the original client, and signs its answer", async () => {
    const hop = await capturedHop();
    const app = leaderApp();
    const first = await replay(app, hop);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ served: true, client: "token#1" });
    expect(first.headers[SERVED_HEADER]).toMatch(/^[\w-]{43}$/);
    // The same hop again (captured on the network and replayed): refused.
    const again = await replay(app, hop);
    expect(again.status).toBe(401);
    // Unsigned: the follower that sent it (if any) answers 503, it never passes a refusal on as the leader's.
    expect(again.headers[SERVED_HEADER]).toBeUndefined();
  });

  it.each([
    ["a forged signature", (h: Record<string, string>) => (h[HOP_HEADER] = h[HOP_HEADER]!.replace(/\.[\w-]+$/, ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))],
    ["another client name", (h: Record<string, string>) => (h["x-scim-bridge-client"] = "token%232")],
    ["another If-Match", (h: Record<string, string>) => (h["if-match"] = 'W/"1"')],
    ["a hop meant for another replica", (h: Record<string, string>) => (h["x-scim-bridge-hop-to"] = "someone-else")],
    ["a malformed credential", (h: Record<string, string>) => (h[HOP_HEADER] = "garbage")],
    // What the follower had left of the request's time: a deadline made up on the way would leave
    // the leader no time to take back a write its deadline stopped.
    ["a deadline added on the way", (h: Record<string, string>) => (h[FORWARDED_DEADLINE_HEADER] = "5000,0")],
  ])("refuses %s with 401, and never falls back to other credentials", async (_what, change) => {
    const hop = await capturedHop();
    const res = await replay(leaderApp(), hop, (h) => {
      change(h);
      h.authorization = "Bearer t0ken";
    });
    expect(res.status).toBe(401);
    expect(res.body.served).toBeUndefined();
  });

  it("refuses a hop whose body was changed on the way", async () => {
    const hop = await capturedHop("/scim/v2/Users", { userName: "a@example.com" });
    expect((await replay(leaderApp(), hop, undefined, JSON.stringify({ userName: "mallory@example.com" }))).status).toBe(401);
  });

  it("refuses a hop older than the window (the leader's clock)", async () => {
    const hop = await capturedHop();
    let now = Date.now() + HOP_WINDOW_MS + 1_000;
    expect((await replay(leaderApp(() => now), hop)).status).toBe(401);
    now = Date.now();
    expect((await replay(leaderApp(() => now), hop)).status).toBe(200);
  });

  it("a request without a hop needs the IdP's token as always", async () => {
    const app = leaderApp();
    expect((await request(app).get("/scim/v2/Users")).status).toBe(401);
    expect((await request(app).get("/scim/v2/Users").set("Authorization", "Bearer t0ken")).body).toMatchObject({ served: true, client: "token#1" });
  });
});

// node:http's request for the man-in-the-middle stand-in (an ES module has no require).
import * as nodeHttp from "node:http";
const require_ = (_: "node:http") => nodeHttp;
