import { describe, expect, it } from "vitest";
import { foldEmail, sameEmail } from "../../src/email-fold.js";
import { store, useBridge } from "./helpers.js";

/**
 * Issue 19, item 12: one email folding rule (ASCII only) for lookups, uniqueness checks and
 * sign-in, with an exact re-check of what BigCommerce returns. KELVIN SIGN (U+212A) lower-cases
 * to "k" under String.prototype.toLowerCase(), and BigCommerce (like the emulator) may fold it
 * so, answering `email:in=userk@…` with another person's customer.
 */
const KELVIN = "\u212A";

describe("foldEmail", () => {
  it("folds A-Z only", () => {
    expect(foldEmail("Ada.LOVELACE@Example.COM")).toBe("ada.lovelace@example.com");
    expect(foldEmail(`user${KELVIN}@x.test`)).toBe(`user${KELVIN}@x.test`);
    expect(foldEmail("\u0130nci@x.test")).toBe("\u0130nci@x.test");
    expect(sameEmail(`user${KELVIN}@x.test`, "userk@x.test")).toBe(false);
    expect(sameEmail("UserK@X.test", "userk@x.test")).toBe(true);
  });
});

describe("a customer whose email has a KELVIN SIGN", () => {
  const b = useBridge();

  it("is not what `userName eq \"userk@…\"` (or emails) finds", async () => {
    const kelvin = store(b).customers.insert({ email: `user${KELVIN}@fold.test`, first_name: "K", last_name: "Elvin" });
    for (const filter of ['userName eq "userk@fold.test"', 'userName eq "USERK@fold.test"', 'emails.value eq "userk@fold.test"', 'emails[value eq "userk@fold.test"]']) {
      const res = await b.api.get(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status, filter).toBe(200);
      expect(res.body.totalResults, filter).toBe(0);
    }
    // Its own address still finds it, in any ASCII case.
    const own = await b.api.get(`/Users?filter=${encodeURIComponent(`userName eq "USER${KELVIN}@FOLD.test"`)}`);
    expect(own.body.Resources.map((u: { id: string }) => u.id)).toEqual([String(kelvin.id)]);
  });
});
