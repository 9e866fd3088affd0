import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startEmulator, type RunningEmulator } from "../../src/emulator/index.js";
import { embeddedSso } from "../../src/sso/embedded.js";

/**
 * Issue 19, item 5: the SSO demo (SSO_DEV_PROVIDER=1) silently signed in by email on channel 1
 * without just-in-time creation, whatever SSO_MATCH, SSO_CHANNEL_ID and SSO_JIT_CREATE said.
 */
let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await emulator.close();
});

describe("the SSO demo's settings", () => {
  it("honours SSO_MATCH, SSO_SUBJECT_CLAIM, SSO_CHANNEL_ID and SSO_JIT_CREATE", async () => {
    const config = loadConfig({ SSO_DEV_PROVIDER: "1", SSO_MATCH: "externalId", SSO_SUBJECT_CLAIM: "sub", SSO_CHANNEL_ID: "3", SSO_JIT_CREATE: "true", PORT: "0" });
    const demo = await embeddedSso(config, emulator, "emulated", pino({ level: "silent" }));
    try {
      expect(demo.config.sso).toMatchObject({ match: "externalId", subjectClaim: "sub", channelId: 3, jitCreate: true });
    } finally {
      await demo.close();
    }
  });

  it("keeps the documented defaults when they are unset", async () => {
    const demo = await embeddedSso(loadConfig({ SSO_DEV_PROVIDER: "1", PORT: "0" }), emulator, "emulated", pino({ level: "silent" }));
    try {
      expect(demo.config.sso).toMatchObject({ match: "email", channelId: 1, jitCreate: false });
    } finally {
      await demo.close();
    }
  });

  it("refuses the lockout channel as the demo's sign-in channel at start-up", () => {
    expect(() => loadConfig({ SSO_DEV_PROVIDER: "1", SCIM_LOCKOUT_CHANNEL_ID: "4", SSO_CHANNEL_ID: "4" })).toThrow(/SSO_CHANNEL_ID: must not be SCIM_LOCKOUT_CHANNEL_ID/);
  });
});

describe("SCIM_LOCKOUT_CHANNEL_ID=1 without storefront sign-in", () => {
  it("names the lockout channel's problem only, not storefront sign-in", () => {
    let message = "";
    try {
      loadConfig({ SCIM_LOCKOUT_CHANNEL_ID: "1" });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/SCIM_LOCKOUT_CHANNEL_ID: must not be 1, the default storefront/);
    expect(message).not.toMatch(/SSO/);
  });
});
