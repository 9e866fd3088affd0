/**
 * A bridge whose build fails leaves no timer behind: a tenant's build is retried every 30 s
 * while its store fails (src/tenants), and each failed attempt's interval would otherwise run for
 * the life of the process, on a closed client, keeping that attempt's whole bridge in memory.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { startBridge, type RunningBridge } from "./helpers.js";

let running: RunningBridge | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await running?.close();
  running = undefined;
});

describe("a failed start-up", () => {
  it("leaves no interval running (the group directory's refresh starts only once the bridge is built)", async () => {
    // Only intervals are faked: the test counts those still scheduled.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    // The start-up repair of the externalId index reads attribute values: the store refuses it,
    // after the group listing has been read.
    const prepare = (e: RunningEmulator) => void e.faults.add({ method: "GET", path: "/v3/customers/attribute-values", status: 403 });
    await expect(
      (async () => {
        running = await startBridge({}, {}, { prepare });
      })(),
    ).rejects.toThrow();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a bridge that starts keeps its one refresh interval (the count above can see it)", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    running = await startBridge();
    expect(vi.getTimerCount()).toBe(1);
    await running.close();
    running = undefined;
    expect(vi.getTimerCount()).toBe(0);
  });
});
