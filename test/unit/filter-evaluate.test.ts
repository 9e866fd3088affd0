import { describe, expect, it } from "vitest";
import { matchesFilter } from "../../src/scim/filter/evaluate.js";
import { parseFilter } from "../../src/scim/filter/parse.js";

const alice = {
  id: "7",
  externalId: "Ext-1",
  userName: "Alice@Example.com",
  name: { givenName: "Alice", familyName: "Smith" },
  emails: [{ value: "alice@example.com", type: "work", primary: true }],
  active: true,
  meta: { created: "2024-03-01T10:00:00Z", lastModified: "2024-05-01T10:00:00Z" },
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Sales", manager: { value: "9" } },
};
const bare = { id: "8", userName: "bob@example.com", active: false };

const match = (f: string, r: unknown = alice) => matchesFilter(r, parseFilter(f));

describe("SCIM filter evaluation", () => {
  it.each([
    ['userName eq "alice@example.com"', true],
    ['USERNAME EQ "ALICE@EXAMPLE.COM"', true],
    ['userName ne "alice@example.com"', false],
    ['userName sw "ali"', true],
    ['userName ew ".COM"', true],
    ['userName co "@exam"', true],
    ['externalId eq "ext-1"', false], // externalId is caseExact
    ['externalId eq "Ext-1"', true],
    ['id eq "7"', true],
    ['emails[type eq "work"].value eq "alice@example.com"', true],
    ['emails[type eq "home"]', false],
    ['emails.value co "example"', true],
    ['name.familyName eq "smith"', true],
    ["active eq true", true],
    ['active eq "True"', true],
    ["active eq false", false],
    ['meta.created gt "2024-01-01T00:00:00Z"', true],
    ['meta.lastModified lt "2024-04-01T00:00:00+00:00"', false],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"', true],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "9"', true],
    ['title pr', false],
    ['userName pr and not (title pr)', true],
    ['userName eq "x" or name.givenName eq "alice"', true],
  ])("%s -> %s", (filter, expected) => {
    expect(match(filter)).toBe(expected);
  });

  it("does not throw when complex attributes are missing (scimmy's Filter.match does)", () => {
    expect(match('name.givenName pr', bare)).toBe(false);
    expect(match('emails[type eq "work"]', bare)).toBe(false);
    expect(match('emails.value ew "y.com"', bare)).toBe(false);
  });

  it("negates a whole disjunction (scimmy turned not (a or b) into (not a) or (not b))", () => {
    expect(match('not (userName eq "alice@example.com" or title pr)')).toBe(false);
    expect(match('not (userName eq "nobody@example.com" or title pr)')).toBe(true);
    expect(match('not (userName eq "alice@example.com" or title pr)', bare)).toBe(true);
  });

  it("keeps an inner or of a value path (scimmy read it as and)", () => {
    expect(match('emails[type eq "work" and (value co "alice" or value co "other")]')).toBe(true);
    expect(match('emails[type eq "home" and (value co "alice" or value co "other")]')).toBe(false);
  });

  it("applies the conditions of a value path to one element, and a plain path to any element", () => {
    const two = { ...alice, emails: [{ value: "a@work.test", type: "work" }, { value: "a@home.test", type: "home" }] };
    expect(match('emails[type eq "work" and value ew "home.test"]', two)).toBe(false);
    expect(match('emails.type eq "work" and emails.value ew "home.test"', two)).toBe(true);
  });

  it("answers invalid syntax with a 400 invalidFilter", () => {
    try {
      parseFilter('userName xx "a"');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ status: 400, scimType: "invalidFilter" });
    }
  });
});

describe("incomplete filters", () => {
  it.each(["userName", 'eq "a"', "userName eq", 'userName eq "a@x.test" and', 'userName eq "a@x.test" or', 'a eq "x" and b eq'])(
    "%s is 400 invalidFilter",
    (filter) => {
      expect(() => parseFilter(filter)).toThrow(expect.objectContaining({ status: 400, scimType: "invalidFilter" }));
    },
  );
});
