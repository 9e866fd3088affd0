import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { startBridge, STORE_HASH as STORE, type RunningBridge } from "./helpers.js";

/** Start-up refuses a lockout channel that is missing or lets customers in, naming the problem. */
let running: RunningBridge | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** The bridge as main.ts composes it; a refused start-up leaves nothing running (the harness). */
async function start(lockoutChannelId: string, prepare: (e: RunningEmulator) => void = () => undefined, logLines?: string[]): Promise<RunningBridge> {
  running = await startBridge(
    { LOG_LEVEL: logLines ? "info" : "silent", ...(lockoutChannelId === "" ? {} : { SCIM_LOCKOUT_CHANNEL_ID: lockoutChannelId }) },
    {},
    { prepare, ...(logLines ? { logLines } : {}) },
  );
  return running;
}

const lockoutChannel = (e: RunningEmulator) => e.store(STORE).channels.insert({ name: "scim-lockout", type: "storefront", platform: "custom" }).id;

describe("start-up check of SCIM_LOCKOUT_CHANNEL_ID", () => {
  it("refuses a channel that does not exist", async () => {
    await expect(start("7")).rejects.toThrow(/SCIM_LOCKOUT_CHANNEL_ID=7: the store has no such channel/);
  });

  it("refuses a channel that allows global logins", async () => {
    await expect(
      start("2", (e) => {
        lockoutChannel(e);
        e.store(STORE).settings.setChannel(2, { ...e.store(STORE).settings.channel(2), allow_global_logins: true });
      }),
    ).rejects.toThrow(/channel 'scim-lockout' allows global logins; set it to false/);
  });

  it("refuses a deleted channel", async () => {
    await expect(start("2", (e) => void e.store(STORE).channels.insert({ name: "gone", type: "storefront", platform: "custom", status: "deleted" }))).rejects.toThrow(
      /no such channel \(it is deleted\)/,
    );
  });

  it("starts with a dedicated channel that does not allow global logins", async () => {
    const b = await start("2", (e) => void lockoutChannel(e));
    expect(b.bridge.services).toBeDefined();
  });
});

describe("start-up check of SCIM_DEACTIVATED_GROUP_ID", () => {
  it("refuses the store's default group, which every new customer joins", async () => {
    let parking = 0;
    const prepare = (e: RunningEmulator) => void (parking = e.store(STORE).groups.insert({ name: "Deactivated", is_default: true }).id);
    await expect(
      (async () => {
        running = await startBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, {}, { prepare });
      })(),
    ).rejects.toThrow(/SCIM_DEACTIVATED_GROUP_ID=1 \('Deactivated'\) is the store's default customer group/);
    expect(parking).toBe(1);
  });

  it("starts with a group of its own", async () => {
    running = await startBridge({ SCIM_DEACTIVATED_GROUP_ID: "1" }, {}, { prepare: (e) => void e.store(STORE).groups.insert({ name: "Deactivated" }) });
    expect(running.bridge.services).toBeDefined();
  });
});

describe("the start-up log says which deactivation mode is in force", () => {
  const modeLine = (lines: string[]) => lines.map((l) => JSON.parse(l) as { deactivation?: string; msg: string; level: number }).find((l) => l.deactivation);

  it("lockout", async () => {
    const lines: string[] = [];
    await start("2", (e) => void lockoutChannel(e), lines);
    expect(modeLine(lines)).toMatchObject({ deactivation: "lockout", msg: expect.stringMatching(/password reset does not reopen any storefront/) });
  });

  it("password lock only, with a warning of what it does not prevent", async () => {
    const lines: string[] = [];
    await start("", undefined, lines);
    expect(modeLine(lines)).toMatchObject({ deactivation: "password-lock", level: 40, msg: expect.stringMatching(/password reset can sign in again/) });
  });
});

describe("SCIM_LOCKOUT_CHANNEL_ID configuration", () => {
  it.each([
    [{ SCIM_LOCKOUT_CHANNEL_ID: "1" }, /SCIM_LOCKOUT_CHANNEL_ID: must not be 1/],
    [{ SCIM_LOCKOUT_CHANNEL_ID: "x" }, /SCIM_LOCKOUT_CHANNEL_ID: must be a positive integer/],
    [{ SCIM_LOCKOUT_CHANNEL_ID: "3", SCIM_DEFAULT_CHANNEL_IDS: "1,3" }, /SCIM_LOCKOUT_CHANNEL_ID: must not be one of SCIM_DEFAULT_CHANNEL_IDS/],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("is off by default and read as a channel id when set", () => {
    expect(loadConfig({}).lockoutChannelId).toBeNull();
    expect(loadConfig({ SCIM_LOCKOUT_CHANNEL_ID: "42" }).lockoutChannelId).toBe(42);
  });
});
