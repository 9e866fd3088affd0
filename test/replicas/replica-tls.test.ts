import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest, type Server } from "node:http";
import { createServer as createTlsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { api, newUser, startBridge, type RunningBridge } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

/**
 * TLS between replicas: the leader is reached at an https REPLICA_URL (here a TLS front on
 * loopback forwarding to its port, as a sidecar or service mesh would), and a follower verifies
 * the certificate against REPLICA_CA. A follower without that CA does not trust it and serves
 * requests itself: nothing is sent over a connection it could not verify.
 */
const opensslAvailable = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const available = redisServerAvailable && opensslAvailable;

const freePort = async (): Promise<number> => {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
};

describe.skipIf(!available)(`replicas over TLS${available ? "" : ` (${redisServerAvailable ? "openssl not found" : SKIP_REASON})`}`, () => {
  let dir: string;
  let redis: RedisServer;
  let emulator: RunningEmulator;
  let front: Server;
  const bridges: RunningBridge[] = [];
  const throughTls: string[] = [];
  let replicaUrl = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "replica-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    redis = await startRedisServer();
    emulator = await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000 });
    const leaderPort = await freePort();
    // The TLS front of the leading replica: terminates TLS, passes the request to its port.
    front = createTlsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (req, res) => {
      if (req.url !== "/healthz") throughTls.push(`${req.method} ${req.url}`);
      const onward = httpRequest({ host: "127.0.0.1", port: leaderPort, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      onward.on("error", () => res.writeHead(502).end());
      req.pipe(onward);
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", () => resolve()));
    replicaUrl = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const ca = join(dir, "cert.pem");
    bridges.push(await startBridge({ REDIS_URL: redis.url, REPLICA_URL: replicaUrl, REPLICA_CA: ca }, {}, { emulator, port: leaderPort }));
    bridges.push(await startBridge({ REDIS_URL: redis.url, REPLICA_CA: ca }, {}, { emulator }));
    bridges.push(await startBridge({ REDIS_URL: redis.url }, {}, { emulator }));
  });
  afterAll(async () => {
    for (const b of bridges) await b.close();
    front?.closeAllConnections();
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
    await emulator?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a follower with REPLICA_CA forwards over TLS to the leader's https REPLICA_URL", async () => {
    const [, follower] = bridges as [RunningBridge, RunningBridge, RunningBridge];
    const created = await api(follower).post("/Users", newUser("over-tls@example.com"));
    expect(created.status).toBe(201);
    expect(throughTls).toContain("POST /scim/v2/Users");
  });

  it("a follower without the CA does not trust the certificate: it serves the request itself, nothing is sent", async () => {
    const [, , untrusting] = bridges as [RunningBridge, RunningBridge, RunningBridge];
    throughTls.length = 0;
    const created = await api(untrusting).post("/Users", newUser("no-ca@example.com"));
    expect(created.status).toBe(201);
    expect(throughTls).toEqual([]);
  });
});
