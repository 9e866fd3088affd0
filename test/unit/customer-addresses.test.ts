import { describe, expect, it } from "vitest";
import type { Customer } from "../../src/bigcommerce/api.js";
import { AddressMapping, formatLedger, parseLedger } from "../../src/mapping/customer-addresses.js";
import { countryCodeOf, regionFor } from "../../src/mapping/regions.js";

describe("countries and regions in BigCommerce's form", () => {
  it("takes a country as an alpha-2 code in any case or as its English name, and nothing else", () => {
    expect(countryCodeOf("us")).toBe("US");
    expect(countryCodeOf("United Kingdom")).toBe("GB");
    expect(countryCodeOf(" germany ")).toBe("DE");
    expect(countryCodeOf("UK")).toBe("GB"); // an old alias BigCommerce would refuse
    for (const bad of ["XY", "USA", "EU", "Narnia", ""]) expect(countryCodeOf(bad), bad).toBeNull();
  });

  it("translates known region codes (also ISO 3166-2) and spells known names canonically", () => {
    expect(regionFor("US", "TX")).toEqual({ ok: true, name: "Texas" });
    expect(regionFor("US", "us-ca")).toEqual({ ok: true, name: "California" });
    expect(regionFor("CA", "QC")).toEqual({ ok: true, name: "Quebec" });
    expect(regionFor("AU", "NSW")).toEqual({ ok: true, name: "New South Wales" });
    expect(regionFor("US", "new york")).toEqual({ ok: true, name: "New York" });
  });

  it("refuses a code it cannot translate where BigCommerce needs the name, and keeps other regions as sent", () => {
    expect(regionFor("US", "ZZ").ok).toBe(false);
    expect(regionFor("IN", "MH").ok).toBe(false);
    expect(regionFor("IN", "Maharashtra")).toEqual({ ok: true, name: "Maharashtra" });
    expect(regionFor("GB", "WYK")).toEqual({ ok: true, name: "WYK" });
  });
});

describe("the ledger of the bridge's addresses", () => {
  it("round-trips and forgets damaged entries (the bridge then owns less, never more)", () => {
    const ledger = new Map([
      ["work", 12],
      ["home", 2_147_483_647],
    ]);
    expect(parseLedger(formatLedger(ledger))).toEqual(ledger);
    expect(parseLedger("work:12,home:abc,other:0,x:99999999999,:5")).toEqual(new Map([["work", 12]]));
    expect(parseLedger(undefined)).toEqual(new Map());
  });

  it("refuses at start-up a list of types whose ledger could exceed one attribute value", () => {
    expect(() => new AddressMapping(Array.from({ length: 10 }, (_, i) => `type${i}-${"x".repeat(20)}`))).toThrow(/at most 255/);
    expect(new AddressMapping(["work", "home", "other"]).mapped).toBe(true);
    expect(new AddressMapping([]).mapped).toBe(false);
  });
});

describe("SCIM addresses <-> BigCommerce addresses", () => {
  const mapping = new AddressMapping(["Work", "home"]);
  const customer = (addresses: Partial<NonNullable<Customer["addresses"]>[number]>[]): Customer =>
    ({
      id: 7,
      addresses: addresses.map((a, i) => ({
        id: i + 1,
        customer_id: 7,
        first_name: "A",
        last_name: "B",
        company: "",
        address1: "1 Main",
        address2: "",
        city: "Austin",
        state_or_province: "Texas",
        postal_code: "78701",
        country_code: "US",
        phone: "",
        address_type: "residential",
        ...a,
      })),
    }) as Customer;

  it("shows only ledger addresses of the customer, in the mapping's order, the first primary", () => {
    const c = customer([{}, { address1: "2 Elm", address2: "Flat 3", city: "Leeds", state_or_province: "", country_code: "GB" }, { address1: "shopper" }]);
    const shown = mapping.representation(c, "home:2,work:1,other:3");
    expect(shown).toEqual([
      { type: "work", streetAddress: "1 Main", locality: "Austin", region: "Texas", postalCode: "78701", country: "US", formatted: "1 Main\nAustin Texas 78701\nUS", primary: true },
      { type: "home", streetAddress: "2 Elm\nFlat 3", locality: "Leeds", postalCode: "78701", country: "GB", formatted: "2 Elm\nFlat 3\nLeeds 78701\nGB", primary: false },
    ]);
    // An id of another customer's address, or one that is gone, is not the bridge's.
    expect(mapping.representation({ ...c, id: 8 } as Customer, "work:1")).toBeUndefined();
    expect(mapping.representation(c, "work:99")).toBeUndefined();
  });

  it("reads what a request asks: absent on create says nothing, absent on replace asks for none, unlisted types are unmapped", () => {
    expect(mapping.requested(undefined, "create")).toBeUndefined();
    expect(mapping.requested(undefined, "replace")).toEqual({ wanted: new Map(), unmapped: [] });
    const asked = mapping.requested(
      [{ type: "WORK", streetAddress: "1 Main\n\n Floor 2 \nRoom 5", locality: "Austin", region: "tx", postalCode: "78701", country: "us" }, { type: "other", locality: "x" }, { locality: "y" }, { type: "home" }],
      "replace",
    )!;
    expect([...asked.wanted.values()]).toEqual([
      {
        type: "work",
        scimName: 'addresses[type eq "work"]',
        fields: { address1: "1 Main", address2: "Floor 2, Room 5", city: "Austin", state_or_province: "Texas", postal_code: "78701", country_code: "US" },
      },
    ]);
    expect(asked.unmapped).toEqual(['addresses[type eq "other"]', "addresses (without type)"]);
  });

  it("refuses two addresses of one type, and the same address under two types", () => {
    const work = { type: "work", streetAddress: "1 Main", locality: "Austin", region: "Texas", postalCode: "78701", country: "US" };
    expect(() => mapping.requested([work, work], "replace")).toThrow(/two addresses of type "work"/);
    const two = new AddressMapping(["home", "other"]);
    expect(() => two.requested([{ ...work, type: "home" }, { ...work, type: "other" }], "replace")).toThrow(/same address/);
  });

  it("refuses values over BigCommerce's limits, naming the sub-attribute", () => {
    const work = { type: "work", streetAddress: "1 Main", locality: "A".repeat(101), region: "Texas", postalCode: "78701", country: "US" };
    expect(() => mapping.requested([work], "replace")).toThrow(/addresses\[type eq "work"\]\.locality.*100/);
    expect(() => mapping.requested([{ ...work, locality: "Austin", postalCode: 78701 }], "replace")).toThrow(/postalCode' must be a string/);
  });
});
