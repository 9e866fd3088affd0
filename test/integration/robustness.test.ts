import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { newUser, useBridge } from "./helpers.js";

/**
 * A client's mistake is never a 5xx, never HTML, never a stack trace: a battery of malformed
 * requests, each of which must get a SCIM error (or a success) as JSON.
 */
let userId: string;
let groupId: string;
const b = useBridge();
beforeAll(async () => {
  userId = (await b.api.post("/Users", newUser("robust@x.test"))).body.id;
  groupId = (await b.api.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Robust" })).body.id;
});

const bodies: unknown[] = [
  null,
  [],
  [1, 2],
  "string",
  42,
  true,
  {},
  { userName: 42 },
  { userName: ["a@x.test"] },
  { userName: { value: "a@x.test" } },
  { userName: "a@x.test", name: "Ann" },
  { userName: "a@x.test", name: { givenName: 5 } },
  { userName: "a@x.test", emails: "a@x.test" },
  { userName: "a@x.test", emails: [null, 5, "x", { value: null }] },
  { userName: "a@x.test", phoneNumbers: [{ value: { nested: true } }] },
  { userName: "a@x.test", active: [true] },
  { userName: "a@x.test", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": "nope" },
  { userName: "a@x.test", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: { value: { deep: 1 } } } },
  { userName: "a@x.test", "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer": { customerGroupId: "abc", channelIds: ["x"] } },
  { userName: "a@x.test", "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer": { customerGroupId: 99999999999 } },
  { userName: "\u0000@x.test" },
  { userName: "𝔘𝔫𝔦𝔠𝔬𝔡𝔢@x.test", name: { givenName: "😀".repeat(60) } },
  { userName: "a@x.test", externalId: "x".repeat(300) },
  { userName: "a@x.test", password: "x".repeat(500) },
  { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: "replace" },
  { Operations: [null] },
  { Operations: [{ op: 5 }] },
  { Operations: [{ op: "add", path: 5, value: 1 }] },
  { Operations: [{ op: "add", path: "emails[type eq", value: 1 }] },
  { Operations: [{ op: "add", path: 'emails[type eq "work"].value', value: { a: 1 } }] },
  { Operations: [{ op: "replace", path: "userName", value: 12 }] },
  { Operations: [{ op: "replace", path: "members", value: "not-a-list" }] },
  { Operations: [{ op: "remove", path: 'members[value eq "1" or value eq "2"]' }] },
  { Operations: [{ op: "replace", value: null }] },
  { Operations: [{ op: "replace", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", value: 7 }] },
];

const paths = (): [string, string][] => [
  ["POST", "/Users"],
  ["PUT", `/Users/${userId}`],
  ["PATCH", `/Users/${userId}`],
  ["POST", "/Groups"],
  ["PUT", `/Groups/${groupId}`],
  ["PATCH", `/Groups/${groupId}`],
  ["POST", "/Users/.search"],
];

const queries = [
  "filter=userName",
  "filter=",
  "filter=%22",
  "filter=userName%20eq%20%22a",
  "filter=((((userName eq \"a\"))))",
  "filter=userName[type eq \"x\"",
  "filter=meta.created gt \"yesterday\"",
  "filter=id eq 99999999999999999999",
  "filter=userName eq \"a\"&filter=userName eq \"b\"",
  "startIndex=-5&count=-1",
  "startIndex=1e3&count=1.5",
  "count=100000",
  "sortBy=&sortOrder=sideways",
  "attributes=&excludedAttributes=",
  "attributes=emails[type eq",
  "attributes=urn:nope:x",
];

function expectScimAnswer(res: request.Response, what: string) {
  expect(res.status, what).toBeLessThan(500);
  expect(res.headers["content-type"] ?? "", what).not.toMatch(/html/);
  if (res.status >= 400) {
    expect(res.body.schemas, what).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect(JSON.stringify(res.body), what).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|Cannot read prop/);
  }
}

describe("malformed input is always a clean SCIM answer", () => {
  it("bodies", async () => {
    for (const [method, path] of paths()) {
      for (const body of bodies) {
        const res = await request(`${b.url}/scim/v2`)
          [method.toLowerCase() as "post"](path)
          .set(b.auth)
          .set("Content-Type", "application/scim+json")
          .send(JSON.stringify(body));
        expectScimAnswer(res, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`);
      }
    }
  });

  it("query strings", async () => {
    for (const resource of ["/Users", "/Groups"]) {
      for (const q of queries) {
        expectScimAnswer(await request(`${b.url}/scim/v2`).get(`${resource}?${q}`).set(b.auth), `${resource}?${q}`);
      }
    }
  });

  it("content types and broken JSON", async () => {
    for (const [type, body] of [
      ["text/plain", "hello"],
      ["application/xml", "<user/>"],
      ["application/scim+json", '{"userName": "a@x.test",}'],
      ["application/scim+json; charset=latin1", '{"userName":"a@x.test"}'],
      ["application/json", "\u0000\u0001"],
    ]) {
      const res = await request(`${b.url}/scim/v2`).post("/Users").set(b.auth).set("Content-Type", type!).send(body);
      expectScimAnswer(res, `${type}`);
    }
  });
});
