import { describe, expect, it } from "vitest";
import type { FilterAst } from "../../src/scim/filter/ast.js";
import { MAX_FILTER_DEPTH, parseFilter } from "../../src/scim/filter/parse.js";
import { printFilter } from "../../src/scim/filter/print.js";

const path = (name: string, sub: string | null = null, urn: string | null = null) => ({ urn, name, sub });
const eq = (name: string, value: string | number | boolean | null, sub: string | null = null): FilterAst => ({ type: "compare", path: path(name, sub), op: "eq", value });
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

describe("SCIM filter parser (RFC 7644 §3.4.2.2)", () => {
  it("parses redundant parentheses at any depth", () => {
    expect(parseFilter('((userName eq "x"))')).toEqual(eq("userName", "x"));
    expect(parseFilter('(((((userName eq "x")))))')).toEqual(eq("userName", "x"));
  });

  it("binds not tighter than and, and tighter than or", () => {
    expect(parseFilter('a eq "1" or b eq "2" and not (c eq "3")')).toEqual({
      type: "or",
      filters: [eq("a", "1"), { type: "and", filters: [eq("b", "2"), { type: "not", filter: eq("c", "3") }] }],
    });
    expect(parseFilter('a eq "1" or (b eq "2" and not (c eq "3"))')).toEqual(parseFilter('a eq "1" or b eq "2" and not (c eq "3")'));
    expect(parseFilter('(a eq "1" or b eq "2") and c eq "3"')).toEqual({
      type: "and",
      filters: [{ type: "or", filters: [eq("a", "1"), eq("b", "2")] }, eq("c", "3")],
    });
  });

  it("keeps an or inside a value path", () => {
    expect(parseFilter('emails[type eq "work" and (value co "alice" or value co "other")]')).toEqual({
      type: "valuePath",
      path: path("emails"),
      filter: {
        type: "and",
        filters: [eq("type", "work"), { type: "or", filters: [{ type: "compare", path: path("value"), op: "co", value: "alice" }, { type: "compare", path: path("value"), op: "co", value: "other" }] }],
      },
    });
  });

  it("reads Entra's attr[filter].sub op value as a value path that also requires the sub-attribute", () => {
    expect(parseFilter('emails[type eq "work"].value eq "w@x.test"')).toEqual({
      type: "valuePath",
      path: path("emails"),
      filter: { type: "and", filters: [eq("type", "work"), eq("value", "w@x.test")] },
    });
  });

  it("reads values as JSON: escapes, numbers, true, false, null", () => {
    expect(parseFilter('userName eq "a\\"b@x"')).toEqual(eq("userName", 'a"b@x'));
    expect(parseFilter('userName eq "caf\\u00e9\\\\\\n"')).toEqual(eq("userName", "café\\\n"));
    expect(parseFilter("x eq -1.5e3")).toEqual(eq("x", -1500));
    expect(parseFilter("active eq TRUE")).toEqual(eq("active", true));
    expect(parseFilter("active eq false")).toEqual(eq("active", false));
    expect(parseFilter("title eq null")).toEqual(eq("title", null));
    expect(parseFilter('userName eq "and or not ( ) [ ]"')).toEqual(eq("userName", "and or not ( ) [ ]"));
  });

  it("reads an unquoted word where a value belongs as a string, as Microsoft's reference tests send", () => {
    expect(parseFilter("userName sw O")).toEqual({ type: "compare", path: path("userName"), op: "sw", value: "O" });
    expect(parseFilter("meta.created gt 2015-10-10T14:38:21.86-07:00")).toEqual({ type: "compare", path: path("meta", "created"), op: "gt", value: "2015-10-10T14:38:21.86-07:00" });
  });

  it("accepts any case of operators and keywords, and keeps attribute names as written", () => {
    expect(parseFilter('USERNAME EQ "x" AND NOT (Title PR) Or id Ne "1"')).toEqual({
      type: "or",
      filters: [{ type: "and", filters: [eq("USERNAME", "x"), { type: "not", filter: { type: "present", path: path("Title") } }] }, { type: "compare", path: path("id"), op: "ne", value: "1" }],
    });
  });

  it.each(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] as const)("parses the %s operator", (op) => {
    expect(parseFilter(`meta.created ${op} "2024-01-01T00:00:00Z"`)).toEqual({ type: "compare", path: path("meta", "created"), op, value: "2024-01-01T00:00:00Z" });
  });

  it("splits URN-prefixed paths; core URNs name core attributes", () => {
    expect(parseFilter(`${ENTERPRISE}:manager.value eq "9"`)).toEqual({ type: "compare", path: path("manager", "value", ENTERPRISE), op: "eq", value: "9" });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"')).toEqual(eq("userName", "x"));
  });

  it("prints what it parses", () => {
    for (const text of ['userName eq "a\\"b"', 'a eq "1" or b eq "2" and not (c pr)', '(a eq "1" or b eq "2") and c eq 3', 'emails[type eq "work" and (value co "a" or value co "b")]']) {
      expect(parseFilter(printFilter(parseFilter(text)))).toEqual(parseFilter(text));
    }
  });

  it.each([
    ["", /empty/],
    ["userName", /operator is missing/],
    ['userName eq and', /not a value/],
    ['userName eq "a', /not closed/],
    ['userName eq "a\\q"', /not a valid JSON string/],
    ['userName xx "a"', /not an operator/],
    ['(userName eq "a"', /expected '\)'/],
    ['userName eq "a")', /unexpected '\)'/],
    ['emails[type eq "work"', /expected '\]'/],
    ['emails[value[x eq "1"] pr]', /cannot contain another/],
    ['not userName eq "a"', /not an operator/],
    ['userName eq "a" and', /ends too early/],
    ['or userName eq "a"', /expected an attribute/],
    ['1abc eq "a"', /not an attribute path/],
  ])("refuses %j with 400 invalidFilter", (text, message) => {
    expect(() => parseFilter(text)).toThrow(expect.objectContaining({ status: 400, scimType: "invalidFilter", message: expect.stringMatching(message) }));
  });

  it("refuses nesting deeper than the bound instead of exhausting the stack", () => {
    const nested = (n: number) => `${"(".repeat(n)}userName eq "x"${")".repeat(n)}`;
    expect(parseFilter(nested(MAX_FILTER_DEPTH))).toEqual(eq("userName", "x"));
    expect(() => parseFilter(nested(MAX_FILTER_DEPTH + 1))).toThrow(expect.objectContaining({ scimType: "invalidFilter", message: expect.stringMatching(/deeper/) }));
    expect(() => parseFilter("not (".repeat(100_000) + 'a pr' + ")".repeat(100_000))).toThrow(expect.objectContaining({ scimType: "invalidFilter" }));
  });

  it("parses a long flat chain without deep recursion", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => `id eq "${i}"`).join(" or ");
    const ast = parseFilter(chain);
    expect(ast.type === "or" && ast.filters.length).toBe(20_000);
  });
});

describe("one parse per request", () => {
  it("hands the list code the tree the guard parsed, and parses again only for other text", async () => {
    const { filterOfRequest } = await import("../../src/scim/filter/request-filter.js");
    const request = {};
    const first = filterOfRequest(request, '((userName eq "x"))');
    expect(filterOfRequest(request, '((userName eq "x"))')).toBe(first);
    expect(filterOfRequest({}, '((userName eq "x"))')).not.toBe(first);
    expect(filterOfRequest(request, 'userName eq "y"')).toEqual(eq("userName", "y"));
  });
});

describe("questions the group service asks of a filter", () => {
  it("tells whether a filter names members, whatever the values say", async () => {
    const { mentionsAttribute } = await import("../../src/scim/filter/ast.js");
    expect(mentionsAttribute(parseFilter('id eq "1" and MEMBERS eq "3"'), "members")).toBe(true);
    expect(mentionsAttribute(parseFilter('not (members[value eq "3"])'), "members")).toBe(true);
    expect(mentionsAttribute(parseFilter('displayName eq "members"'), "members")).toBe(false);
  });
});
