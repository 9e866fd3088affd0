import { describe, expect, it } from "vitest";
import { recallChannels, rememberChannels } from "../../src/mapping/remembered-channels.js";
import { planChannelLockout, type ChannelLockoutState } from "../../src/scim/users/channel-lockout.js";

const L = 9;
const state = (s: Partial<ChannelLockoutState>): ChannelLockoutState => ({
  lockoutChannelId: L,
  wantsActive: false,
  current: null,
  requested: undefined,
  remembered: undefined,
  ...s,
});

describe("remembered channels", () => {
  it("round-trip global access and lists", () => {
    expect(rememberChannels(null)).toBe("null");
    expect(recallChannels("null")).toBeNull();
    expect(recallChannels(rememberChannels([1, 3]))).toEqual([1, 3]);
  });
  it.each([undefined, "", "[]", "[0]", "{}", "1", "not json"])("%j is nothing remembered", (value) => {
    expect(recallChannels(value)).toBeUndefined();
  });
});

describe("planChannelLockout", () => {
  it("deactivation moves the customer to the lockout channel and remembers its channels (null too)", () => {
    expect(planChannelLockout(state({ current: null }))).toEqual({ channelIds: [L], holdRequested: true, remember: "null" });
    expect(planChannelLockout(state({ current: [1, 2] }))).toEqual({ channelIds: [L], holdRequested: true, remember: "[1,2]" });
  });

  it("deactivation that also sends channels remembers those", () => {
    expect(planChannelLockout(state({ current: [1], requested: [3] }))).toEqual({ channelIds: [L], holdRequested: true, remember: "[3]" });
  });

  it("a retry after the customer was locked out keeps what the first attempt remembered", () => {
    expect(planChannelLockout(state({ current: [L], remembered: "[1,2]", requested: [1, 2] }))).toEqual({ holdRequested: true });
    expect(planChannelLockout(state({ current: [L], remembered: "null" }))).toEqual({ holdRequested: true });
  });

  it("channels sent for a locked-out user become the remembered value", () => {
    expect(planChannelLockout(state({ current: [L], remembered: "null", requested: [4] }))).toEqual({ holdRequested: true, remember: "[4]" });
  });

  it("reactivation restores the remembered channels and forgets them; the IdP's channels win", () => {
    expect(planChannelLockout(state({ wantsActive: true, current: [L], remembered: "null" }))).toEqual({ channelIds: null, remember: null });
    expect(planChannelLockout(state({ wantsActive: true, current: [L], remembered: "[1]", requested: [5] }))).toEqual({ channelIds: [5], remember: null });
  });

  it("a reactivation retry after the channels were restored only forgets the remembered value", () => {
    expect(planChannelLockout(state({ wantsActive: true, current: [2, 1], remembered: "[1,2]" }))).toEqual({ remember: null });
  });

  it("without lockout: nothing for active users; a user locked out earlier stays so until reactivated", () => {
    expect(planChannelLockout(state({ lockoutChannelId: null, current: [1] }))).toEqual({});
    expect(planChannelLockout(state({ lockoutChannelId: null, wantsActive: true, current: [1] }))).toEqual({});
    expect(planChannelLockout(state({ lockoutChannelId: null, current: [L], remembered: "[1]", requested: [1] }))).toEqual({ holdRequested: true });
    expect(planChannelLockout(state({ lockoutChannelId: null, wantsActive: true, current: [L], remembered: "[1]" }))).toEqual({ channelIds: [1], remember: null });
  });

  it("a remembered value that is not a channel list is dropped on reactivation, never read as global access", () => {
    expect(planChannelLockout(state({ wantsActive: true, current: [L], remembered: "garbage" }))).toEqual({ remember: null });
  });
});
