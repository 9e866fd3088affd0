import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { AttributePath, CompareOperator, FilterAst, Literal } from "../../src/scim/filter/ast.js";
import { matchesFilter } from "../../src/scim/filter/evaluate.js";
import { parseFilter } from "../../src/scim/filter/parse.js";
import { planUserQuery, type Lookup } from "../../src/scim/filter/plan.js";

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

describe("plans of nested filters", () => {
  it("pushes an or inside an and down as one lookup of both values", () => {
    expect(plan('(userName eq "a@x.test" or userName eq "b@x.test") and active eq true')).toEqual({
      kind: "lookups",
      lookups: [{ params: { "email:in": ["a@x.test", "b@x.test"] } }],
    });
  });

  it("pushes an inner or of a value path down", () => {
    expect(plan('emails[type eq "work" and (value eq "a@x.test" or value eq "b@x.test")]')).toEqual({
      kind: "lookups",
      lookups: [{ params: { "email:in": ["a@x.test", "b@x.test"] } }],
    });
  });

  it("ignores negations when something else restricts, and answers nothing when one operand of an and cannot match", () => {
    expect(plan('userName eq "a@x.test" and not (id eq "3")')).toEqual({ kind: "lookups", lookups: [{ params: { "email:in": ["a@x.test"] } }] });
    expect(plan('id eq "x" and userName eq "a@x.test"')).toEqual({ kind: "nothing" });
    expect(plan('not (id eq "x")')).toEqual({ kind: "scan" });
  });
});

/** Users as the bridge shows them, with the facts BigCommerce can look up. */
interface PlannedUser {
  id: string;
  userName: string;
  externalId?: string;
  name: { givenName: string };
  emails: { value: string; type: string }[];
  groups: { value: string }[];
  /** Not SCIM: the customer group (the first of `groups`, the others are remembered memberships). */
  customerGroup: number;
  meta: { created: string; lastModified: string };
}

function admits(lookup: Lookup, u: PlannedUser): boolean {
  const p = lookup.params;
  const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  if (p["email:in"] && !p["email:in"].includes(u.userName)) return false;
  if (p["id:in"] && !p["id:in"].map(String).includes(u.id)) return false;
  if (p["customer_group_id:in"] && !p["customer_group_id:in"].includes(u.customerGroup)) return false;
  if (lookup.memberOfGroup !== undefined && !u.groups.slice(1).some((g) => g.value === String(lookup.memberOfGroup))) return false;
  if (lookup.externalId !== undefined && lookup.externalId !== u.externalId) return false;
  if (p["date_created:min"] && seconds(u.meta.created) < seconds(p["date_created:min"])) return false;
  if (p["date_created:max"] && seconds(u.meta.created) > seconds(p["date_created:max"])) return false;
  if (p["date_modified:max"] && seconds(u.meta.lastModified) > seconds(p["date_modified:max"])) return false;
  return true;
}

describe("plan property: every user the filter matches is in what the plan reads", () => {
  const emails = ["a@x.test", "b@x.test", "c@x.test"];
  const dates = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:01.500Z", "2024-06-01T12:00:00Z"];
  const value = fc.constantFrom<Literal>(...emails, "1", "2", "3", "x", "e1", "E1", ...dates, 2, true, null);
  const paths: AttributePath[] = [
    { urn: null, name: "userName", sub: null },
    { urn: null, name: "emails", sub: "value" },
    { urn: null, name: "emails", sub: null },
    { urn: null, name: "id", sub: null },
    { urn: null, name: "externalId", sub: null },
    { urn: null, name: "groups", sub: "value" },
    { urn: null, name: "meta", sub: "created" },
    { urn: null, name: "meta", sub: "lastModified" },
    { urn: null, name: "name", sub: "givenName" },
  ];
  const inner: AttributePath[] = [
    { urn: null, name: "value", sub: null },
    { urn: null, name: "type", sub: null },
  ];
  const tree = (inValuePath: boolean): fc.Arbitrary<FilterAst> =>
    fc.letrec<{ node: FilterAst }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.record({ type: fc.constant("compare" as const), path: fc.constantFrom(...(inValuePath ? inner : paths)), op: fc.constantFrom<CompareOperator>("eq", "eq", "ne", "gt", "ge", "lt", "le", "sw"), value }),
        fc.record({ type: fc.constant("present" as const), path: fc.constantFrom(...(inValuePath ? inner : paths)) }),
        fc.record({ type: fc.constantFrom("and" as const, "or" as const), filters: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) }),
        fc.record({ type: fc.constant("not" as const), filter: tie("node") }),
        ...(inValuePath ? [] : [fc.record({ type: fc.constant("valuePath" as const), path: fc.constantFrom<AttributePath>({ urn: null, name: "emails", sub: null }, { urn: null, name: "groups", sub: null }), filter: tree(true) })]),
      ),
    })).node;
  const user: fc.Arbitrary<PlannedUser> = fc
    .record({ n: fc.integer({ min: 1, max: 3 }), email: fc.constantFrom(...emails), ext: fc.constantFrom(undefined, "e1", "x"), group: fc.constantFrom(0, 1, 2), other: fc.constantFrom(0, 1, 2, 3), created: fc.constantFrom(...dates), modified: fc.constantFrom(...dates) })
    .map(({ n, email, ext, group, other, created, modified }) => ({
      id: String(n),
      userName: email,
      ...(ext !== undefined ? { externalId: ext } : {}),
      name: { givenName: "G" },
      emails: [{ value: email, type: "work" }],
      // A remembered membership besides the customer group (a user in two groups).
      groups: group === 0 ? [] : [...new Set([group, other])].filter((g) => g > 0).map((g) => ({ value: String(g) })),
      customerGroup: group,
      meta: { created, lastModified: modified },
    }));

  it("never leaves a matching user out", () => {
    fc.assert(
      fc.property(tree(false), fc.array(user, { minLength: 1, maxLength: 6 }), (ast, users) => {
        let p: ReturnType<typeof planUserQuery>;
        try {
          p = planUserQuery(ast);
        } catch {
          return; // a non-date value compared with a date: refused as invalidFilter
        }
        for (const u of users.filter((x) => matchesFilter(x, ast))) {
          expect(p.kind).not.toBe("nothing");
          if (p.kind === "lookups") expect(p.lookups.some((l) => admits(l, u))).toBe(true);
        }
      }),
      { seed: 20261202, numRuns: 400 },
    );
  });
});
