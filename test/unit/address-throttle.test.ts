import { describe, expect, it } from "vitest";
import { AddressThrottle, addressKey } from "../../src/http/address-throttle.js";
import { FakeClock } from "../bigcommerce/helpers/fake-clock.js";

/** Issue 19, item 10: per-address counting on the fake clock, with a bounded table. */
describe("AddressThrottle", () => {
  const settings = { limit: 3, windowMs: 60_000, maxAddresses: 100 };

  it("lets `limit` events through per window, then says how long until the window ends", async () => {
    const clock = new FakeClock();
    const throttle = new AddressThrottle(settings, () => clock.now());
    expect([1, 2, 3].map(() => throttle.hit("198.51.100.7"))).toEqual([0, 0, 0]);
    await clock.advance(20_000);
    expect(throttle.hit("198.51.100.7")).toBe(40_000);
    expect(throttle.hit("198.51.100.8")).toBe(0); // another address has its own count
    await clock.advance(39_999);
    expect(throttle.hit("198.51.100.7")).toBe(1);
    await clock.advance(1); // the window has ended exactly now
    expect(throttle.hit("198.51.100.7")).toBe(0);
  });

  it("keeps at most maxAddresses windows however many addresses an attacker rotates through", async () => {
    const clock = new FakeClock();
    const throttle = new AddressThrottle(settings, () => clock.now());
    for (let i = 0; i < 10_000; i++) throttle.hit(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(throttle.size).toBe(100);
  });

  it("drops ended windows before running ones, so a blocked address stays blocked while the table has room to clear", async () => {
    const clock = new FakeClock();
    const throttle = new AddressThrottle({ ...settings, maxAddresses: 3 }, () => clock.now());
    throttle.hit("192.0.2.1");
    throttle.hit("192.0.2.2");
    await clock.advance(60_000); // both windows have ended
    for (let i = 0; i < 4; i++) throttle.hit("192.0.2.99");
    expect(throttle.hit("192.0.2.3")).toBe(0);
    expect(throttle.hit("192.0.2.4")).toBe(0);
    expect(throttle.size).toBe(3);
    expect(throttle.hit("192.0.2.99")).toBeGreaterThan(0); // still counted: the ended windows went first
  });

  it("counts IPv6 per /64 and IPv4-mapped addresses as IPv4", () => {
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe(addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"));
    expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });
});
