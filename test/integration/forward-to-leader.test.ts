/**
 * Followers pass SCIM requests to the leading replica (src/http/forward-to-leader.ts): what is
 * passed on and back, and when a follower serves the request itself instead.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { errorHandler } from "../../src/http/error-handler.js";
import { FORWARDED_HEADER, forwardToLeader, SERVED_HEADER, type LeaderView } from "../../src/http/forward-to-leader.js";
import { jsonBody } from "../../src/http/json-body.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let leader: Server | undefined;
afterEach(async () => {
  leader?.closeAllConnections();
  await new Promise<void>((resolve) => (leader ? leader.close(() => resolve()) : resolve()));
  leader = undefined;
});

/** A stand-in leader: records what reached it and answers as told (or drops the connection). */
async function startLeader(answer: "created" | "drop" | "proxy-502"): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  leader = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (answer === "drop") {
        req.socket.destroy();
        return;
      }
      if (answer === "proxy-502") {
        res.writeHead(502, { "Content-Type": "text/plain" });
        res.end("upstream connect error");
        return;
      }
      res.writeHead(201, { "Content-Type": "application/scim+json", ETag: 'W/"7"', Location: "http://bridge/scim/v2/Users/7", "X-Internal": "no", [SERVED_HEADER]: "1" });
      res.end(JSON.stringify({ id: "7", servedBy: "leader" }));
    });
  });
  await new Promise<void>((resolve) => leader!.listen(0, "127.0.0.1", () => resolve()));
  return { url: `http://127.0.0.1:${(leader!.address() as AddressInfo).port}`, seen };
}

/** A follower: the body parser, the forwarder, and a handler that marks a request served here. */
function follower(view: LeaderView, clock: () => number = Date.now) {
  const app = express();
  const scim = express.Router();
  scim.use(jsonBody("1mb"));
  scim.use(forwardToLeader(view, pino({ level: "silent" }), clock).middleware);
  scim.use((req, res) => {
    res.status(200).json({ servedBy: "follower", body: req.body });
  });
  app.use("/scim/v2", scim);
  app.use(errorHandler(pino({ level: "silent" })));
  return app;
}

const at = (url: string, self = false): LeaderView => ({ leader: () => ({ url, self }) });

describe("forwarding to the leading replica", () => {
  it("passes method, path, query, checked body and the headers that matter; passes the answer back", async () => {
    const { url, seen } = await startLeader("created");
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
    expect(seen).toHaveLength(1);
    expect(res.headers[SERVED_HEADER]).toBeUndefined();
    expect(seen[0]).toMatchObject({ method: "POST", url: "/scim/v2/Users?attributes=userName" });
    expect(seen[0]!.headers).toMatchObject({ authorization: "Bearer t0ken", "if-match": 'W/"6"', [FORWARDED_HEADER]: "1" });
    expect(seen[0]!.headers.cookie).toBeUndefined();
    expect(JSON.parse(seen[0]!.body)).toEqual({ userName: "a@example.com", name: { givenName: "A" } });
  });

  it("refuses hostile input itself, before anything is passed on", async () => {
    const { url, seen } = await startLeader("created");
    const res = await request(follower(at(url)))
      .post("/scim/v2/Users")
      .set("Content-Type", "application/scim+json")
      .send('{"userName":"a@example.com","__proto__":{"admin":true}}');
    expect(res.status).toBe(400);
    expect(seen).toEqual([]);
  });

  it("serves the request itself when it leads, when no leader is known, or when the request was forwarded already", async () => {
    const { url, seen } = await startLeader("created");
    expect((await request(follower(at(url, true))).get("/scim/v2/Users")).body.servedBy).toBe("follower");
    expect((await request(follower({ leader: () => undefined })).get("/scim/v2/Users")).body.servedBy).toBe("follower");
    expect((await request(follower(at(url))).get("/scim/v2/Users").set(FORWARDED_HEADER, "1")).body.servedBy).toBe("follower");
    expect(seen).toEqual([]);
  });

  it("serves the request itself when the leader cannot be reached (nothing was delivered)", async () => {
    const { url } = await startLeader("created");
    leader!.close();
    leader = undefined;
    const res = await request(follower(at(url))).patch("/scim/v2/Users/7").send({ Operations: [] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ servedBy: "follower", body: { Operations: [] } });
  });

  it("answers 503 with Retry-After when the leader took the request and gave no answer (the outcome is unknown)", async () => {
    const { url, seen } = await startLeader("drop");
    const res = await request(follower(at(url))).post("/scim/v2/Users").send({ userName: "b@example.com" });
    expect(seen).toHaveLength(1);
    expect(res.status).toBe(503);
    expect(Number(res.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
  });

  it("an answer no bridge stamped (a proxy between the replicas answered) is a SCIM 503, never passed through", async () => {
    const { url } = await startLeader("proxy-502");
    const res = await request(follower(at(url))).get("/scim/v2/Users");
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "503" });
  });

  it("serves here when TLS to the leader fails in the handshake (an https REPLICA_URL on a plain-http replica)", async () => {
    const { url, seen } = await startLeader("created");
    const res = await request(follower(at(url.replace("http:", "https:")))).get("/scim/v2/Users");
    expect(res.body.servedBy).toBe("follower");
    expect(seen).toEqual([]);
  });

  it("after failures in a row, leaves the leader's address alone for a while (a breaker), then tries it again", async () => {
    const { url, seen } = await startLeader("proxy-502");
    let now = 1_000_000;
    const app = follower(at(url), () => now);
    for (let i = 0; i < 3; i += 1) expect((await request(app).get("/scim/v2/Users")).status).toBe(503);
    expect(seen).toHaveLength(3);
    // Open: served here, the leader is not asked.
    expect((await request(app).get("/scim/v2/Users")).body.servedBy).toBe("follower");
    expect(seen).toHaveLength(3);
    now += 31_000;
    expect((await request(app).get("/scim/v2/Users")).status).toBe(503);
    expect(seen).toHaveLength(4);
  });

  it("the replica serving a forwarded request stamps its answer", async () => {
    const res = await request(follower({ leader: () => undefined })).get("/scim/v2/Users").set(FORWARDED_HEADER, "1");
    expect(res.headers[SERVED_HEADER]).toBe("1");
  });
});
