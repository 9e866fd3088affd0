import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { api, newUser, startBridge, type RunningBridge } from "../integration/helpers.js";
import { redisServerAvailable, SKIP_REASON, startRedisServer, type RedisServer } from "../support/redis-server.js";

/**
 * docs/operations.md (audit trail): with replicas, the replica that does the work (the leader)
 * records the event, once. Each replica writes its own audit file, as the page asks; writes sent
 * to the follower are passed to the leader and appear once, in the leader's file only.
 */
const readEvents = (path: string): Record<string, unknown>[] => {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return []; // not created: nothing recorded
  }
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe.skipIf(!redisServerAvailable)(`audit trail with replicas${redisServerAvailable ? "" : ` (${SKIP_REASON})`}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "replica-audit-"));
  const leaderFile = join(dir, "leader.jsonl");
  const followerFile = join(dir, "follower.jsonl");
  let server: RedisServer;
  let emulator: RunningEmulator;
  let leader: RunningBridge;
  let follower: RunningBridge;
  beforeAll(async () => {
    server = await startRedisServer();
    emulator = await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000 });
    // The first replica started leads.
    leader = await startBridge({ REDIS_URL: server.url, SCIM_AUDIT_FILE: leaderFile }, {}, { emulator });
    follower = await startBridge({ REDIS_URL: server.url, SCIM_AUDIT_FILE: followerFile }, {}, { emulator });
  });
  afterAll(async () => {
    await follower?.close();
    await leader?.close();
    await emulator?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records each write sent to the follower once, on the leader, as the IdP's client", async () => {
    const f = api(follower);
    const sent: [string, number][] = [];
    const created = await f.post("/Users", newUser("audited.replica@example.com")).set("X-Request-Id", "audit-create");
    sent.push(["audit-create", created.status]);
    const id = String(created.body.id);
    const patched = await f.patch(`/Users/${id}`, [{ op: "replace", path: "title", value: "Buyer" }]).set("X-Request-Id", "audit-patch");
    sent.push(["audit-patch", patched.status]);
    const duplicate = await f.post("/Users", newUser("Audited.Replica@example.com")).set("X-Request-Id", "audit-duplicate");
    sent.push(["audit-duplicate", duplicate.status]);
    const deleted = await f.delete(`/Users/${id}`).set("X-Request-Id", "audit-delete");
    sent.push(["audit-delete", deleted.status]);
    expect(sent.map(([, status]) => status)).toEqual([201, 200, 409, 204]);
    // And one write sent to the leader itself.
    const direct = await api(leader).post("/Users", newUser("direct.replica@example.com")).set("X-Request-Id", "audit-direct");
    expect(direct.status).toBe(201);

    // The leader writes an event when its answer is sent, the follower's answer follows it.
    for (let i = 0; i < 200 && readEvents(leaderFile).length < 5; i += 1) await new Promise((r) => setTimeout(r, 25));
    const events = readEvents(leaderFile);
    expect(events.map((e) => [e.requestId, e.operation, e.outcome, e.status])).toEqual([
      ["audit-create", "create", "success", 201],
      ["audit-patch", "patch", "success", 200],
      ["audit-duplicate", "create", "failure", 409],
      ["audit-delete", "delete", "success", 204],
      ["audit-direct", "create", "success", 201],
    ]);
    for (const e of events) expect(e).toMatchObject({ kind: "scim", resourceType: "User", client: "token#1" });
    expect(events[0]!.upstreamCalls).toBeGreaterThan(0);

    // Time for a second recording to show, had the follower made one.
    await new Promise((r) => setTimeout(r, 200));
    expect(readEvents(followerFile)).toEqual([]);
    expect(readEvents(leaderFile)).toHaveLength(5);
  });
});
