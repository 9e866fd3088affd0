import pino from "pino";
import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/http/metrics.js";
import { DEFAULT_STORED_ATTRIBUTES } from "../../src/mapping/attribute-table.js";
import { customChanges, resolveMapping, type CustomMapping } from "../../src/mapping/custom-mapping.js";
import { parseMappingDocument } from "../../src/mapping/mapping-file.js";
import { unmappedAttributes } from "../../src/mapping/unmapped.js";
import { ENTERPRISE_USER } from "../../src/mapping/urns.js";
import { UnmappedReport } from "../../src/scim/users/unmapped-report.js";
import { logLinesInto } from "../../src/dev/bridge-harness.js";

const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
const mappingOf = (attributes: unknown[]): CustomMapping =>
  resolveMapping(parseMappingDocument(JSON.stringify({ attributes }), "m.json"), DEFAULT_STORED_ATTRIBUTES);

describe("resolveMapping (what the file's attributes mean)", () => {
  it("takes a built-in storable attribute over and keeps the other stored ones", () => {
    const m = mappingOf([{ scim: `${ENTERPRISE_USER}:department`, customerAttribute: "Department" }, { scim: `${ACME}:costCenter`, customerAttribute: "CC" }]);
    expect(m.storedAttributes).toEqual(DEFAULT_STORED_ATTRIBUTES.filter((k) => k !== "department"));
    expect(m.extensionUrns).toEqual([ACME]);
    expect(m.entries.map((e) => e.scimName)).toEqual([`${ENTERPRISE_USER}:department`, `${ACME}:costCenter`]);
  });

  it("spells a known attribute canonically, whatever case the file used", () => {
    const m = mappingOf([{ scim: "NAME.HONORIFICPREFIX", formField: "Salutation" }, { scim: `urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User:COSTCENTER`, customerAttribute: "CC" }]);
    expect(m.entries.map((e) => [e.schema, e.path])).toEqual([
      ["urn:ietf:params:scim:schemas:core:2.0:User", "name.honorificPrefix"],
      [ENTERPRISE_USER, "costCenter"],
    ]);
  });

  it.each([
    [{ scim: "userName", customerAttribute: "A" }, /attributes\[0\]\.scim: userName is mapped by the bridge itself/],
    [{ scim: "emails", customerAttribute: "A" }, /mapped by the bridge itself/],
    [{ scim: "name.givenName", customerAttribute: "A" }, /mapped by the bridge itself/],
    [{ scim: "addresses", customerAttribute: "A" }, /mapped by the bridge itself/],
    [{ scim: `${ENTERPRISE_USER}:manager`, customerAttribute: "A" }, /mapped by the bridge itself/],
    [{ scim: `${ENTERPRISE_USER}:organization`, customerAttribute: "A" }, /mapped by the bridge itself/],
    [{ scim: `${ENTERPRISE_USER}:badge`, customerAttribute: "A" }, /not an attribute of the enterprise extension/],
    [{ scim: "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer:notes", customerAttribute: "A" }, /bridge's own BigCommerce extension/],
    [{ scim: "address.city", customerAttribute: "A" }, /not a sub-attribute of the core User schema/],
    [{ scim: "emails.display", customerAttribute: "A" }, /sub-attribute of a multi-valued attribute/],
    [{ scim: "title", customerAttribute: "scim_title" }, /attributes\[0\]\.customerAttribute: scim_title is a name the bridge keeps/],
  ])("refuses %j, naming the entry", (entry, message) => {
    expect(() => mappingOf([entry])).toThrow(message);
  });

  it("refuses two entries on one attribute or form field, and a value that is also a complex attribute", () => {
    expect(() => mappingOf([{ scim: "title", customerAttribute: "A" }, { scim: "nickName", customerAttribute: "a" }])).toThrow(/attributes\[1\]\.customerAttribute: a is mapped already \(attributes\[0\]\)/);
    expect(() => mappingOf([{ scim: "title", formField: "F" }, { scim: "nickName", formField: "F" }])).toThrow(/attributes\[1\]\.formField/);
    expect(() => mappingOf([{ scim: `${ACME}:site`, customerAttribute: "A" }, { scim: `${ACME}:site.floor`, customerAttribute: "B" }])).toThrow(/attributes\[1\]\.scim/);
  });
});

describe("customChanges (SCIM values -> BigCommerce values)", () => {
  const m = mappingOf([
    { scim: `${ACME}:n`, customerAttribute: "N", type: "number" },
    { scim: `${ACME}:d`, customerAttribute: "D", type: "date" },
    { scim: `${ACME}:site.floor`, formField: "Floor" },
  ]);

  it("converts, removes (null, empty, the extension removed) and leaves absent values alone", () => {
    const [n, d] = m.entries.map((e) => e.key);
    expect(customChanges({ [ACME]: { n: " 12.50 ", d: "2024-02-29T23:00:00+01:00", site: { floor: 3 } } }, m)).toEqual({
      attributes: { [n!]: "12.5", [d!]: "2024-02-29" },
      formFields: [{ name: "Floor", value: 3 }],
    });
    expect(customChanges({ [ACME]: { n: null, d: "" } }, m)).toEqual({ attributes: { [n!]: null, [d!]: null }, formFields: [] });
    expect(customChanges({ [ACME]: null }, m)).toEqual({ attributes: { [n!]: null, [d!]: null }, formFields: [{ name: "Floor", value: "" }] });
    expect(customChanges({ userName: "x" }, m)).toEqual({ attributes: {}, formFields: [] });
  });

  it.each([{ n: "1e400" }, { n: true }, { d: "2024-02-30" }, { d: "29/02/2024" }])("refuses %j with 400 invalidValue", (value) => {
    expect(() => customChanges({ [ACME]: value }, m)).toThrow(expect.objectContaining({ status: 400, scimType: "invalidValue" }));
  });
});

describe("unmappedAttributes", () => {
  it("names what nothing keeps, not what the server owns or derives", () => {
    const m = mappingOf([{ scim: `${ACME}:costCenter`, customerAttribute: "CC" }]);
    const doc = {
      schemas: ["x"], id: "1", meta: {}, userName: "a@x.co", displayName: "A B", name: { givenName: "A", formatted: "A B", middleName: "M" },
      nickName: "n", title: "t", roles: [{ value: "r" }], addresses: [], locale: "",
      [ENTERPRISE_USER]: { department: "d", division: "v" },
      [ACME]: { costCenter: "c", floor: "3" },
      "urn:example:other": { badge: "7" },
    };
    expect(unmappedAttributes(doc, DEFAULT_STORED_ATTRIBUTES, m).sort()).toEqual(
      ["name.middleName", "nickName", "roles", `${ENTERPRISE_USER}:division`, `${ACME}:floor`, "urn:example:other:badge"].sort(),
    );
  });
});

describe("reporting unmapped attributes", () => {
  it("warns once per name, bounds the names it remembers, and counts every one", () => {
    const lines: string[] = [];
    const counted: string[] = [];
    const report = new UnmappedReport(pino(logLinesInto(lines)), (n) => counted.push(n));
    report.report(["a", "a", "b"]);
    report.report(["a"]);
    expect(lines.map((l) => (JSON.parse(l) as { attribute?: string }).attribute)).toEqual(["a", "b"]);
    expect(counted).toEqual(["a", "b", "a"]);
    report.report(Array.from({ length: 1100 }, (_, i) => `n${i}`));
    expect(lines).toHaveLength(1000 + 1); // 998 more names, then one line saying the rest are not named
    expect(lines.at(-1)).toContain("no longer named");
  });

  it("gives the first 50 names a label of their own in /metrics, the rest 'other'", async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 60; i++) metrics.recordUnmapped(`attr${i}`);
    metrics.recordUnmapped("attr0");
    const text = await metrics.registry.metrics();
    expect(text).toContain('scim_unmapped_attributes_total{attribute="attr0"} 2');
    expect(text).toContain('scim_unmapped_attributes_total{attribute="attr49"} 1');
    expect(text).not.toContain('attribute="attr50"');
    expect(text).toContain('scim_unmapped_attributes_total{attribute="other"} 10');
  });
});
