import { beforeAll, describe, expect, it } from "vitest";
import { countCalls, newUser, useBridge } from "./helpers.js";

/**
 * The filter reproductions of issue 7 item 8, over HTTP against the emulator: legal nesting,
 * `not` of a disjunction, JSON escapes, and an inner `or` inside a value path (which scimmy's
 * parser turned into `and`). Each ran into scimmy's parser before the bridge parsed filters itself.
 */
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

const b = useBridge({ SCIM_MAX_SCAN: "100" });
beforeAll(async () => {
  for (const [email, givenName] of [
    ["alice@x.test", "Alice"],
    ["other@x.test", "Other"],
    ["carol@x.test", 'Jo"hn'],
    ["dave@x.test", "Dave"],
  ] as const) {
    expect((await b.api.post("/Users", newUser(email, { name: { givenName, familyName: "F" } }))).status).toBe(201);
  }
  expect((await b.api.post("/Groups", { schemas: [GROUP], displayName: 'Say "hi"' })).status).toBe(201);
  expect((await b.api.post("/Groups", { schemas: [GROUP], displayName: "Plain" })).status).toBe(201);
});

const list = async (resource: string, filter: string) => {
  const res = await b.api.get(`/${resource}?filter=${encodeURIComponent(filter)}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body.Resources as { userName?: string; displayName?: string }[]).map((r) => r.userName ?? r.displayName).sort();
};

describe("GET /Users filters the RFC grammar allows", () => {
  it.each([
    ['((userName eq "alice@x.test"))', ["alice@x.test"]],
    ['userName eq "alice@x.test" or (userName sw "d" and not (userName eq "other@x.test"))', ["alice@x.test", "dave@x.test"]],
    ['not (userName eq "alice@x.test" or userName eq "other@x.test")', ["carol@x.test", "dave@x.test"]],
    ['emails[type eq "work" and (value co "alice" or value co "other")]', ["alice@x.test", "other@x.test"]],
    ['name.givenName eq "Jo\\"hn"', ["carol@x.test"]],
    ['userName eq "a\\"b@x"', []],
    ['USERNAME EQ "ALICE@X.TEST" OR Name.GivenName Sw "dav"', ["alice@x.test", "dave@x.test"]],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "other@x.test"', ["other@x.test"]],
  ])("%s", async (filter, expected) => {
    expect(await list("Users", filter)).toEqual(expected);
  });

  it("pushes an or of userNames down as one lookup", async () => {
    const { result, calls } = await countCalls(b, () => b.api.get(`/Users?filter=${encodeURIComponent('(userName eq "alice@x.test") or ((userName eq "other@x.test"))')}`));
    expect(result.body.totalResults).toBe(2);
    expect(calls).toEqual(["GET /v3/customers"]);
  });

  it("reads a filter in a POST /.search body the same way", async () => {
    const res = await b.api.post("/Users/.search", { schemas: [SEARCH], filter: 'emails[type eq "work" and (value co "alice" or value co "other")]' });
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(2);
  });

  it.each(['userName eq "a', "userName eq or", `${"(".repeat(40)}userName pr${")".repeat(40)}`, 'emails[type eq "work"'])(
    "answers %j with 400 invalidFilter as SCIM JSON",
    async (filter) => {
      const res = await b.api.get(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ scimType: "invalidFilter", status: "400" });
      expect(res.headers["content-type"]).toMatch(/scim\+json/);
    },
  );
});

describe("GET /Groups uses the same parser", () => {
  it.each([
    ['((displayName eq "Plain"))', ["Plain"]],
    ['displayName eq "Say \\"hi\\""', ['Say "hi"']],
    ['not (displayName eq "Plain" or displayName eq "nope")', ['Say "hi"']],
  ])("%s", async (filter, expected) => {
    expect(await list("Groups", filter)).toEqual(expected);
  });
});

describe("attribute projections with value filters use the same parser", () => {
  it("accepts a JSON escape inside an attributes value filter (scimmy's parser refused it)", async () => {
    const res = await b.api.get(`/Users?filter=${encodeURIComponent('userName eq "alice@x.test"')}&attributes=${encodeURIComponent('emails[type eq "wo\\"rk" or type eq "work"]')}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.Resources[0].emails).toEqual([expect.objectContaining({ value: "alice@x.test", type: "work" })]);
    expect(res.body.Resources[0].name).toBeUndefined();
  });
});
