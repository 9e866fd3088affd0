import { describe, expect, it, vi } from "vitest";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { createLogger } from "../../src/logger.js";
import { Keyspace } from "../../src/shared-state/keyspace.js";
import { ReplicaLeadership } from "../../src/shared-state/leadership.js";
import { redisServerAvailable, SKIP_REASON } from "../support/redis-server.js";
import { useRedisServer } from "../support/use-redis.js";

const SECRET = "the-store-access-token";

describe.skipIf(!redisServerAvailable)(`replica leadership${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const redisServer = useRedisServer();
  const connect = () => redisServer.connect(500);
  let store = 0;

  it("one replica leads, the others see where it is; a replica that stops hands over at once", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    const b = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await a.start("http://10.0.0.1:8080/");
    await b.start("http://10.0.0.2:8080");
    expect(a.leader()).toMatchObject({ url: "http://10.0.0.1:8080", self: true });
    expect(b.leader()).toMatchObject({ url: "http://10.0.0.1:8080", self: false });
    await a.stop();
    expect(a.leader()).toBeUndefined();
    // b claims at its next renewal (a third of the lease).
    await vi.waitFor(() => expect(b.leader()).toMatchObject({ url: "http://10.0.0.2:8080", self: true }), { timeout: 5_000, interval: 50 });
    await b.stop();
  });

  /** Another replica of the store starts and leads at once (no claim of a stopped one in its way), then stops. */
  async function nextReplicaLeadsAtOnce(keys: Keyspace): Promise<void> {
    const b = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await b.start("http://10.0.0.2:8080");
    expect(b.leader()).toMatchObject({ url: "http://10.0.0.2:8080", self: true });
    await b.stop();
  }

  it("a replica stopped while its first claim is on its way neither renews for good nor keeps the lead", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const keys = new Keyspace(`leader${++store}`);
      const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
      const starting = a.start("http://10.0.0.1:8080");
      await a.stop(); // e.g. its tenant removed while the process began to serve
      await starting;
      expect(vi.getTimerCount()).toBe(0);
      expect(a.leader()).toBeUndefined();
      // Its claim did not outlive the stop: the next replica leads at once, not after a lease.
      await nextReplicaLeadsAtOnce(keys);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a replica stopped while its first claim is on its way takes no lead: no claim without its address written, no forgery reported", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const lines: string[] = [];
    const redis = await connect();
    const sent: string[] = [];
    const evalsha = redis.evalsha.bind(redis);
    // Observed, not changed: the claims this replica writes (TAKE's first argument).
    redis.evalsha = ((...args: Parameters<typeof evalsha>) => {
      sent.push(String(args[3]));
      return evalsha(...args);
    }) as typeof redis.evalsha;
    const a = new ReplicaLeadership(redis, keys, createLogger("warn", logLinesInto(lines)), SECRET, 3_000);
    const starting = a.start("http://10.0.0.1:8080");
    await a.stop();
    await starting;
    expect(sent.filter((arg) => arg.startsWith("{"))).toEqual([]);
    expect(lines.filter((l) => l.includes("not signed by a replica"))).toEqual([]);
  });

  it("a replica stopped before it starts (its tenant retired during the self-check) never starts: no renewals, no lead", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const keys = new Keyspace(`leader${++store}`);
      const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
      await a.stop(); // compose.ts: its bridge closed while serving() checked it answers at its address
      await a.start("http://10.0.0.1:8080");
      expect(vi.getTimerCount()).toBe(0);
      expect(a.leader()).toBeUndefined();
      await nextReplicaLeadsAtOnce(keys);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a leader that dies without resigning is replaced when its lease runs out", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const doomed = await connect();
    const a = new ReplicaLeadership(doomed, keys, createLogger("silent"), SECRET, 600);
    const b = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 600);
    await a.start("http://10.0.0.1:8080");
    await b.start("http://10.0.0.2:8080");
    expect(b.leader()?.self).toBe(false);
    // a loses Redis for good (a crash, as far as the others can tell): it cannot renew.
    doomed.disconnect();
    await vi.waitFor(() => expect(b.leader()).toMatchObject({ url: "http://10.0.0.2:8080", self: true }), { timeout: 5_000, interval: 50 });
    // a's own view runs out within a lease: it no longer believes it leads.
    await vi.waitFor(() => expect(a.leader()).toBeUndefined(), { timeout: 5_000, interval: 50 });
    await b.stop();
    await a.stop();
  });

  it("a claim no replica signed names no leader; one without an expiry is replaced", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const redis = await connect();
    const forged = JSON.stringify({ id: "evil", url: "http://169.254.169.254", sig: "AAAA" });
    // Written with a lease, as a replica would: it stays until it expires, but nobody follows it.
    await redis.set(keys.leader(), forged, "PX", 60_000);
    const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await a.start("http://10.0.0.1:8080");
    expect(a.leader()).toBeUndefined();
    // Written by hand without an expiry: a replica takes the lead over it.
    await redis.set(keys.leader(), forged);
    await vi.waitFor(() => expect(a.leader()).toMatchObject({ url: "http://10.0.0.1:8080", self: true }), { timeout: 5_000, interval: 50 });
    // A replica with another secret (another store's token) does not follow this one.
    const other = new ReplicaLeadership(await connect(), keys, createLogger("silent"), "another-token", 3_000);
    await other.start("http://10.0.0.9:8080");
    expect(other.leader()).toBeUndefined();
    await other.stop();
    await a.stop();
  });

  it("every new leader's claim carries a higher epoch, and the claim an expiry one lease ahead", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const redis = await connect();
    const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await a.start("http://10.0.0.1:8080");
    const first = JSON.parse(String(await redis.get(keys.leader()))) as { epoch: number; exp: number };
    expect(first.exp).toBeGreaterThan(Date.now());
    expect(first.exp).toBeLessThanOrEqual(Date.now() + 3_000);
    await a.stop();
    const b = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await b.start("http://10.0.0.2:8080");
    expect(b.leader()?.self).toBe(true);
    expect(b.leader()!.epoch).toBeGreaterThan(first.epoch);
    await b.stop();
  });

  it("an old claim written back into Redis names no leader: not to a replica that saw a newer epoch, not to any once it has expired", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const redis = await connect();
    const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await a.start("http://10.0.0.1:8080");
    const old = String(await redis.get(keys.leader()));
    await a.stop();
    const b = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await b.start("http://10.0.0.2:8080");
    expect(b.leader()).toMatchObject({ url: "http://10.0.0.2:8080", self: true });
    // Someone with access to Redis writes a's claim back, with a lease as a replica would, while
    // it is still within its own expiry: b saw a newer epoch and follows nobody.
    await redis.set(keys.leader(), old, "PX", 60_000);
    await vi.waitFor(() => expect(b.leader()).toBeUndefined(), { timeout: 5_000, interval: 50 });
    // A replica that never saw the newer epoch refuses it once its expiry has passed (its clock
    // is set past it here, rather than waiting).
    const expiry = (JSON.parse(old) as { exp: number }).exp;
    const c = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000, () => Math.max(Date.now(), expiry + 1));
    await c.start("http://10.0.0.3:8080");
    expect(c.leader()).toBeUndefined();
    await c.stop();
    await b.stop();
  });

  it("a replica that saw a high epoch before Redis lost its counter still leads with a higher one", async () => {
    const keys = new Keyspace(`leader${++store}`);
    const redis = await connect();
    const a = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await a.start("http://10.0.0.1:8080");
    const b = new ReplicaLeadership(await connect(), keys, createLogger("silent"), SECRET, 3_000);
    await b.start("http://10.0.0.2:8080");
    const seen = b.leader()!.epoch;
    // A Redis restart without persistence: the claim and the epoch counter are gone.
    await a.stop();
    await redis.del(keys.leader(), keys.leaderEpoch());
    await vi.waitFor(() => expect(b.leader()).toMatchObject({ self: true }), { timeout: 5_000, interval: 50 });
    expect(b.leader()!.epoch).toBeGreaterThan(seen);
    await b.stop();
  });
});
