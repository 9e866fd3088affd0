import { describe, expect, it } from "vitest";
import { InvalidQueryError } from "../../src/bigcommerce/errors.js";
import { assertSafeRequest } from "../../src/bigcommerce/http.js";
import { validateIdList } from "../../src/bigcommerce/id-lists.js";
import { buildQuery } from "../../src/bigcommerce/query.js";

describe("buildQuery", () => {
  it("writes lists as one CSV parameter with readable keys", () => {
    expect(buildQuery({ "id:in": [1, 2, 3], limit: 50 })).toBe("?id:in=1,2,3&limit=50");
  });

  it("percent-encodes values, + included", () => {
    expect(buildQuery({ "email:in": ["a+b@x.com", "é y@x.com"] })).toBe("?email:in=a%2Bb%40x.com,%C3%A9%20y%40x.com");
  });

  it("skips undefined values and returns '' when nothing is left", () => {
    expect(buildQuery({ page: undefined })).toBe("");
    expect(buildQuery(undefined)).toBe("");
  });

  it.each([
    [{ "email:in": ["a@x.com,b@y.com"] }],
    [{ "name:like": ["smith, john"] }],
    [{ "email:in": "a@x.com,b@y.com" }],
    [{ "company:in": ["Acme", "Foo, Inc"] }],
  ])("refuses a list value containing a comma: %j", (params) => {
    expect(() => buildQuery(params)).toThrow(InvalidQueryError);
  });

  it("refuses an empty list (BigCommerce would ignore it and match everything)", () => {
    expect(() => buildQuery({ "id:in": [] })).toThrow(InvalidQueryError);
    expect(() => buildQuery({ "email:in": [""] })).toThrow(InvalidQueryError);
  });

  it("allows an encoded comma in a plain scalar filter", () => {
    expect(buildQuery({ name: "Sales, EU" })).toBe("?name=Sales%2C%20EU");
  });
});

describe("validateIdList (delete ids)", () => {
  it("returns the ids in order", () => {
    expect(validateIdList([3, 1, 2], 250, "t")).toEqual([3, 1, 2]);
  });

  it.each([
    ["empty", []],
    ["zero", [0]],
    ["negative", [-1]],
    ["fraction", [1.5]],
    ["NaN", [Number.NaN]],
    ["over int32", [2_147_483_648]],
    ["string id", ["7"]],
    ["duplicate", [4, 4]],
    ["251 ids", Array.from({ length: 251 }, (_, i) => i + 1)],
    ["not an array", 7],
    ["null element", [null]],
  ])("refuses %s", (_name, ids) => {
    expect(() => validateIdList(ids, 250, "t")).toThrow(InvalidQueryError);
  });
});

describe("assertSafeRequest", () => {
  it("refuses anything under V2 /customers", () => {
    expect(() => assertSafeRequest({ method: "DELETE", api: "v2", path: "/customers" })).toThrow(InvalidQueryError);
    expect(() => assertSafeRequest({ method: "GET", api: "v2", path: "/customers/1" })).toThrow(InvalidQueryError);
  });

  it("refuses a customers DELETE without a non-empty id:in", () => {
    expect(() => assertSafeRequest({ method: "DELETE", api: "v3", path: "/customers" })).toThrow(InvalidQueryError);
    expect(() => assertSafeRequest({ method: "DELETE", api: "v3", path: "/customers/", query: {} })).toThrow(InvalidQueryError);
    expect(() => assertSafeRequest({ method: "DELETE", api: "v3", path: "/customers", query: { "id:in": [] } })).toThrow(InvalidQueryError);
    expect(() => assertSafeRequest({ method: "DELETE", api: "v3", path: "/customers", query: { "id:in": [5] } })).not.toThrow();
  });

  it("checks the path in canonical form: no spelling of /customers slips past", () => {
    const spellings = ["//customers", "/./customers", "/Customers", "/CUSTOMERS/", "/%63ustomers", "/x/../customers", "/customers;x", "/customers/./", "\\customers", "customers"];
    for (const path of spellings) {
      expect(() => assertSafeRequest({ method: "DELETE", api: "v2", path }), `v2 ${path}`).toThrow(InvalidQueryError);
      expect(() => assertSafeRequest({ method: "DELETE", api: "v3", path }), `v3 ${path}`).toThrow(InvalidQueryError);
      expect(() => assertSafeRequest({ method: "GET", api: "v2", path }), `GET v2 ${path}`).toThrow(InvalidQueryError);
    }
    expect(() => assertSafeRequest({ method: "GET", api: "v3", path: "/customers/attribute-values" })).not.toThrow();
    expect(() => assertSafeRequest({ method: "GET", api: "v2", path: "/customer_groups/count" })).not.toThrow();
  });

  it("lets V2 customer groups through", () => {
    expect(() => assertSafeRequest({ method: "DELETE", api: "v2", path: "/customer_groups/4" })).not.toThrow();
  });
});
