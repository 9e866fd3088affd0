import { describe, expect, it } from "vitest";
import { parseFilter } from "../../src/scim/filter/parse.js";
import { planUserQuery } from "../../src/scim/filter/plan.js";

const plan = (f: string) => planUserQuery(parseFilter(f));

describe("user filter -> BigCommerce query plan", () => {
  it("pushes userName eq down to one email:in lookup", () => {
    expect(plan('userName eq "Alice@x.test"')).toEqual({
      kind: "lookups",
      lookups: [{ params: { "email:in": ["Alice@x.test", "alice@x.test"] } }],
    });
  });

  it("never turns one filter value into two BigCommerce values", () => {
    expect(plan('userName eq "a@x.test,b@x.test"')).toEqual({ kind: "nothing" });
  });

  it("merges OR of userName equalities into one lookup", () => {
    const p = plan('userName eq "a@x.test" or emails.value eq "b@x.test"');
    expect(p).toEqual({ kind: "lookups", lookups: [{ params: { "email:in": ["a@x.test", "b@x.test"] } }] });
  });

  it("maps Entra's emails[type eq work].value to email:in", () => {
    expect(plan('emails[type eq "work"].value eq "w@x.test"')).toMatchObject({ lookups: [{ params: { "email:in": ["w@x.test"] } }] });
  });

  it("answers a non-canonical id without asking", () => {
    expect(plan('id eq "0012"')).toEqual({ kind: "nothing" });
    expect(plan('id eq "12"')).toEqual({ kind: "lookups", lookups: [{ params: { "id:in": [12] } }] });
  });

  it("resolves externalId through the index", () => {
    expect(plan('externalId eq "abc"')).toEqual({ kind: "lookups", lookups: [{ params: {}, externalId: "abc" }] });
  });

  it("pushes date bounds as a widened superset; lastModified only as an upper bound", () => {
    expect(plan('meta.created ge "2024-01-01T00:00:10Z"')).toMatchObject({ lookups: [{ params: { "date_created:min": "2024-01-01T00:00:09Z" } }] });
    expect(plan('meta.lastModified gt "2024-01-01T00:00:10Z"')).toEqual({ kind: "scan" });
    expect(plan('meta.lastModified lt "2024-01-01T00:00:10Z"')).toMatchObject({ lookups: [{ params: { "date_modified:max": "2024-01-01T00:00:11Z" } }] });
  });

  it("needs a scan when nothing can be pushed down", () => {
    expect(plan('name.familyName eq "Smith"')).toEqual({ kind: "scan" });
    expect(plan('not (userName eq "a@x.test")')).toEqual({ kind: "scan" });
    expect(plan('userName eq "a@x.test" or title pr')).toEqual({ kind: "scan" });
  });
});
