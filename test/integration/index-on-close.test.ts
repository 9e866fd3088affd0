import { afterEach, describe, expect, it, vi } from "vitest";
import { startBridge } from "../../src/dev/bridge-harness.js";
import { type RunningEmulator, startEmulator } from "../../src/emulator/index.js";
import { api, newUser, store } from "./helpers.js";

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("a stopping bridge", () => {
  // A create is answered once its externalId index entry is pending; the entry is written
  // behind. Closing (SIGTERM's drain) waits for it briefly instead of leaving it to the next
  // start-up's repair, which SCIM_INDEX_REPAIR_HOURS=0 turns off.
  it("writes the index entries of answered creates before it closes", async () => {
    emulator = await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000 });
    const b = await startBridge({ SCIM_INDEX_REPAIR_HOURS: "0" }, {}, { emulator });
    // Its first attempt fails: it is waiting to try again (2 s) when the stop comes.
    emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 503, count: 1 });
    const created = await api(b).post("/Users", newUser("closing@x.test", { externalId: "ext-closing" }));
    expect(created.status).toBe(201);
    await vi.waitFor(() => expect(emulator!.requests.some((r) => r.path.endsWith("/v3/customers/metafields") && r.status === 503)).toBe(true));
    await b.close();
    const entries = store({ emulator }).metafields.where((m) => m.resource_id === Number(created.body.id) && m.value === "ext-closing");
    expect(entries).toHaveLength(1);
  });

  // A tenant's bridge is closed at every change of the tenant: an entry still failing after the
  // few seconds close() gives it must not go on retrying for an hour against the closed client,
  // keeping that bridge in memory all the while.
  it("stops the write-behinds still failing once closed, leaving them to the next start-up's repair", async () => {
    emulator = await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000 });
    const lines: string[] = [];
    const b = await startBridge({ LOG_LEVEL: "warn" }, {}, { emulator, logLines: lines });
    emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 503 });
    const created = await api(b).post("/Users", newUser("never.indexed@x.test", { externalId: "ext-never" }));
    expect(created.status).toBe(201);
    await b.close();
    // Every entry written behind has ended (written or given up): none is still trying.
    await b.bridge.settled();
    expect(lines.some((l) => l.includes("not written before the bridge closed"))).toBe(true);
  });
});
