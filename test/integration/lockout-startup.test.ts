import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "../../src/bigcommerce/client.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { createLogger } from "../../src/logger.js";

/** Start-up refuses a lockout channel that is missing or lets customers in, naming the problem. */
const STORE = "lockoutstartup";
let emulator: RunningEmulator | undefined;
let client: BigCommerceClientHandle | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  client = undefined;
  emulator = undefined;
});

async function start(lockoutChannelId: string, prepare: (e: RunningEmulator) => void = () => undefined, logLines?: string[]) {
  emulator = await startEmulator({ port: 0, rateQuota: 100_000 });
  prepare(emulator);
  const config = loadConfig({
    SCIM_BEARER_TOKENS: "startup-token-0123456789",
    BIGCOMMERCE_STORE_HASH: STORE,
    BIGCOMMERCE_ACCESS_TOKEN: "emulator-token",
    BIGCOMMERCE_API_URL: emulator.url,
    LOG_LEVEL: "silent",
    ...(lockoutChannelId === "" ? {} : { SCIM_LOCKOUT_CHANNEL_ID: lockoutChannelId }),
  });
  client = createBigCommerceClient({ apiUrl: emulator.url, storeHash: STORE, accessToken: "emulator-token", requestTimeoutMs: 5000 });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines?.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return createApp({ config, client, logger: createLogger(logLines ? "info" : "silent", sink) });
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
    const bridge = await start("2", (e) => void lockoutChannel(e));
    expect(bridge.services).toBeDefined();
    await bridge.close();
  });
});

describe("the start-up log says which deactivation mode is in force", () => {
  const modeLine = (lines: string[]) => lines.map((l) => JSON.parse(l) as { deactivation?: string; msg: string; level: number }).find((l) => l.deactivation);

  it("lockout", async () => {
    const lines: string[] = [];
    const bridge = await start("2", (e) => void lockoutChannel(e), lines);
    expect(modeLine(lines)).toMatchObject({ deactivation: "lockout", msg: expect.stringMatching(/password reset does not reopen any storefront/) });
    await bridge.close();
  });

  it("password lock only, with a warning of what it does not prevent", async () => {
    const lines: string[] = [];
    const bridge = await start("", undefined, lines);
    expect(modeLine(lines)).toMatchObject({ deactivation: "password-lock", level: 40, msg: expect.stringMatching(/password reset can sign in again/) });
    await bridge.close();
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
