import { beforeAll, describe, expect, it } from "vitest";
import { countCalls, newUser, store, useBridge } from "./helpers.js";

const ids: string[] = [];
const b = useBridge({ SCIM_MAX_SCAN: "100" });
beforeAll(async () => {
  for (let i = 1; i <= 30; i++) {
    const res = await b.api.post("/Users", newUser(`list${String(i).padStart(2, "0")}@x.test`, {
      name: { givenName: `G${i}`, familyName: i % 3 === 0 ? "Smith" : `F${i}` },
      externalId: `ext-${i}`,
      ...(i % 5 === 0 ? { active: false } : {}),
    }));
    ids.push(res.body.id);
  }
});

const q = (filter: string, extra = "") => `/Users?filter=${encodeURIComponent(filter)}${extra}`;

describe("GET /Users: pagination", () => {
  it.each([
    [1, 10],
    [1, 2],
    [2, 2],
    [11, 10],
    [21, 50],
    [7, 13],
    [29, 5],
    [30, 1],
  ])("startIndex=%i count=%i returns exactly that window in a stable order", async (startIndex, count) => {
    const res = await b.api.get(`/Users?startIndex=${startIndex}&count=${count}`);
    expect(res.status).toBe(200);
    const expected = ids.slice(startIndex - 1, startIndex - 1 + count);
    expect(res.body.Resources.map((u: { id: string }) => u.id)).toEqual(expected);
    expect(res.body).toMatchObject({ totalResults: 30, startIndex, itemsPerPage: expected.length });
  });

  it("Okta's import loop reaches every user once", async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 30; start += 7) {
      const res = await b.api.get(`/Users?startIndex=${start}&count=7`);
      seen.push(...res.body.Resources.map((u: { id: string }) => u.id));
    }
    expect(seen).toEqual(ids);
  });

  it("a window past the end is empty with the right total; count=0 gives only the total", async () => {
    expect((await b.api.get("/Users?startIndex=100&count=10")).body).toMatchObject({ totalResults: 30, itemsPerPage: 0, Resources: [] });
    expect((await b.api.get("/Users?count=0")).body).toMatchObject({ totalResults: 30, itemsPerPage: 0, Resources: [] });
  });

  it("an aligned page costs one call; numbers are JSON numbers", async () => {
    const { result, calls } = await countCalls(b, () => b.api.get("/Users?startIndex=11&count=10"));
    expect(calls).toEqual(["GET /v3/customers"]);
    expect(typeof result.body.totalResults).toBe("number");
    expect(typeof result.body.startIndex).toBe("number");
  });

  it("rejects a non-numeric count with 400", async () => {
    expect((await b.api.get("/Users?count=ten")).status).toBe(400);
  });

  it("sortBy meta.created descending is pushed down", async () => {
    const res = await b.api.get("/Users?sortBy=meta.created&sortOrder=descending&count=3");
    expect(res.status).toBe(200);
    expect(res.body.Resources).toHaveLength(3);
  });

  it("sortBy userName sorts in-process when the store is small enough", async () => {
    const res = await b.api.get("/Users?sortBy=userName&sortOrder=descending&count=2");
    expect(res.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["list30@x.test", "list29@x.test"]);
  });
});

describe("GET /Users: filters", () => {
  it("userName eq costs one call and matches case-insensitively", async () => {
    const { result, calls } = await countCalls(b, () => b.api.get(q('userName eq "LIST07@X.TEST"', "&startIndex=1&count=100")));
    expect(calls).toEqual(["GET /v3/customers"]);
    expect(result.body.totalResults).toBe(1);
    expect(result.body.Resources[0].userName).toBe("list07@x.test");
  });

  it("an unknown userName is 200 with an empty list (connection tests)", async () => {
    const res = await b.api.get(q('userName eq "3f0c1d2e-0000-4000-8000-000000000000"'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [], startIndex: 1, itemsPerPage: 0 });
  });

  it("a value with a comma matches nobody and asks nothing", async () => {
    const { result, calls } = await countCalls(b, () => b.api.get(q('userName eq "list01@x.test,list02@x.test"')));
    expect(result.body.totalResults).toBe(0);
    expect(calls).toEqual([]);
  });

  it("Entra's + for spaces and emails[type eq work].value", async () => {
    const res = await b.api.get('/Users?filter=emails[type+eq+"work"].value+eq+"list08%40x.test"');
    expect(res.body.totalResults).toBe(1);
  });

  it.each([
    ['id eq "IDX"', 1],
    ['userName eq "list01@x.test" or userName eq "list02@x.test"', 2],
    ['name.familyName eq "smith"', 10],
    ['name.familyName eq "Smith" and active eq false', 2],
    ["active eq false", 6],
    ['userName sw "list1"', 10],
    ['externalId eq "ext-3" and userName eq "list03@x.test"', 1],
    ['externalId eq "ext-3" and userName eq "list04@x.test"', 0],
    ['meta.created gt "2000-01-01T00:00:00Z"', 30],
    ['not (userName eq "list01@x.test")', 29],
  ])("%s -> %i", async (filter, expected) => {
    const res = await b.api.get(q(filter.replace("IDX", ids[4]!)));
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(expected);
    expect(res.body.Resources).toHaveLength(Math.min(expected, 100));
  });

  it("paginates a filtered result exactly", async () => {
    const res = await b.api.get(q('name.familyName eq "Smith"', "&startIndex=3&count=4"));
    expect(res.body.totalResults).toBe(10);
    expect(res.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["list09@x.test", "list12@x.test", "list15@x.test", "list18@x.test"]);
  });

  it("refuses a scan of a store larger than the bound with an honest 400", async () => {
    for (let i = 0; i < 75; i++) store(b).customers.insert({ email: `bulk${i}@x.test`, first_name: "B", last_name: "K" });
    const res = await b.api.get(q('name.givenName eq "G1"'));
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidFilter");
    expect(res.body.detail).toMatch(/userName/);
    for (const c of store(b).customers.where((c) => c.email.startsWith("bulk"))) store(b).customers.delete(c.id);
  });

  it("rejects invalid filter syntax with 400 invalidFilter", async () => {
    const res = await b.api.get(q('userName xx "a"'));
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidFilter");
  });
});

describe("attributes, excludedAttributes and /.search", () => {
  it("attributes=userName returns id, schemas and userName only", async () => {
    const res = await b.api.get(q('userName eq "list01@x.test"', "&attributes=userName"));
    expect(Object.keys(res.body.Resources[0]).sort()).toEqual(["id", "schemas", "userName"]);
  });

  it("attributes with sub-attributes and extension attributes", async () => {
    const res = await b.api.get(q('userName eq "list01@x.test"', "&attributes=name.givenName,emails.value"));
    expect(res.body.Resources[0].name).toEqual({ givenName: "G1" });
    expect(res.body.Resources[0].emails).toEqual([{ value: "list01@x.test" }]);
  });

  it("excludedAttributes drops what it names and keeps id", async () => {
    const res = await b.api.get(`/Users/${ids[0]}?excludedAttributes=emails,name,id`);
    expect(res.body.emails).toBeUndefined();
    expect(res.body.name).toBeUndefined();
    expect(res.body.id).toBe(ids[0]);
  });

  it("POST /Users/.search", async () => {
    const res = await b.api.post("/Users/.search", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
      filter: 'userName sw "list2"',
      startIndex: 1,
      count: 3,
      attributes: ["userName"],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 10, itemsPerPage: 3 });
    expect(res.body.Resources[0]).toEqual({ schemas: expect.any(Array), id: expect.any(String), userName: "list20@x.test" });
  });
});

describe("malformed filters never reach scimmy's parser", () => {
  it.each(["userName", 'eq "a"', "userName eq", 'userName eq "a@x.test" and'])("GET /Users?filter=%s is 400 invalidFilter without internals", async (filter) => {
    const res = await b.api.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidFilter");
    expect(res.body.detail).not.toMatch(/Cannot read|undefined/);
    const search = await b.api.post("/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter });
    expect(search.status).toBe(400);
  });
});
