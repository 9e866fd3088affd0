import { connect } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import request from "supertest";
import { beforeAll, describe, expect, it } from "vitest";
import { ENT, newUser, useBridge } from "./helpers.js";

/** Issue 8, items 1-6, 8 and 9: hostile input gets a clean SCIM 4xx and changes nothing. */
let userId: string;
let groupId: string;
const b = useBridge();
beforeAll(async () => {
  userId = (await b.api.post("/Users", newUser("hostile@x.test"))).body.id;
  groupId = (await b.api.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Hostile" })).body.id;
});

const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const scim = () => request(`${b.url}/scim/v2`);
const writes = () => b.upstreamCalls().filter((c) => c.method !== "GET");

function expectScimError(res: request.Response, status: number, scimType?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.schemas).toEqual([ERROR]);
  if (scimType) expect(res.body.scimType).toBe(scimType);
  expect(JSON.stringify(res.body)).not.toMatch(/Cannot read|RangeError|\.ts:\d|node_modules/);
}

async function sendRaw(method: "post" | "put" | "patch", path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  b.emulator.clearRequests();
  return scim()[method](path).set(b.auth).set("Content-Type", "application/scim+json").set(headers).send(body);
}

describe("1. prototype keys never reach object assignment", () => {
  const user = (extra: string) => `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"proto@x.test",${extra}}`;
  for (const extra of [
    '"__proto__":{"active":false}',
    '"name":{"__proto__":{"givenName":"Evil"}}',
    '"constructor":{"prototype":{"active":false}}',
    '"prototype":{"active":false}',
    '"emails":[{"value":"proto@x.test","__PROTO__":{"primary":true}}]',
  ]) {
    it(`POST /Users with ${extra} is 400 and creates nothing`, async () => {
      const res = await sendRaw("post", "/Users", user(extra));
      expectScimError(res, 400, "invalidValue");
      expect(writes()).toEqual([]);
      expect(({} as Record<string, unknown>).active).toBeUndefined();
    });
  }

  it("PATCH values carrying __proto__ are refused", async () => {
    const res = await sendRaw(
      "patch",
      `/Users/${userId}`,
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"__proto__":{"active":false}}}]}',
    );
    expectScimError(res, 400, "invalidValue");
    expect(writes()).toEqual([]);
  });

  for (const path of ["__proto__.active", "name.__proto__", "constructor.prototype.active", `${ENT}:__proto__`]) {
    it(`PATCH path ${path} is 400 invalidPath`, async () => {
      const res = await sendRaw(
        "patch",
        `/Users/${userId}`,
        JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path, value: false }] }),
      );
      expectScimError(res, 400, "invalidPath");
      expect(writes()).toEqual([]);
      expect((await b.api.get(`/Users/${userId}`)).body.active).toBe(true);
    });
  }

  it("a filter value that happens to be 'constructor' is data, not a name", async () => {
    const res = await sendRaw(
      "patch",
      `/Users/${userId}`,
      JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "remove", path: 'emails[value eq "constructor"]' }] }),
    );
    expect(res.status).toBeLessThan(500);
    expect(res.body.scimType).not.toBe("invalidPath");
  });
});

describe("2. nesting depth is bounded where the body is parsed", () => {
  it("a PATCH value nested 10,000 levels is 400, not a stack overflow", async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const res = await sendRaw("patch", `/Users/${userId}`, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":${deep}}]}`);
    expectScimError(res, 400, "invalidSyntax");
    expect(writes()).toEqual([]);
  });

  it("arrays count too; a depth of 30 still parses", async () => {
    expectScimError(await sendRaw("post", "/Users", `{"userName":${"[".repeat(100)}${"]".repeat(100)}}`), 400, "invalidSyntax");
    const ok = await sendRaw("post", "/Users", `{"userName":"d@x.test","x":${"[".repeat(30)}${"]".repeat(30)}}`);
    expect(ok.body.detail ?? "").not.toMatch(/nests deeper/);
  });
});

describe("3. attributes and excludedAttributes are checked at the edge", () => {
  const bad = ["attributes=userName,", "attributes=,", "excludedAttributes=emails,", "attributes=name.", "attributes=name..givenName", "attributes=__proto__", "attributes=a%20b"];
  for (const q of bad) {
    it(`${q} is 400 invalidValue on every resource and method`, async () => {
      for (const [method, path] of [
        ["get", "/Users"],
        ["get", `/Users/${userId}`],
        ["get", "/Groups"],
        ["get", `/Groups/${groupId}`],
        ["post", "/Users"],
        ["put", `/Users/${userId}`],
        ["patch", `/Users/${userId}`],
      ] as const) {
        b.emulator.clearRequests();
        const res = await scim()[method](`${path}?${q}`).set(b.auth).send(method === "get" ? undefined : newUser("attr@x.test"));
        expectScimError(res, 400, "invalidValue");
        expect(writes()).toEqual([]);
      }
    });
  }

  it("in a .search body too", async () => {
    expectScimError(await sendRaw("post", "/Users/.search", JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], attributes: ["userName", ""] })), 400, "invalidValue");
  });

  it("well-formed lists still work, URN-qualified ones included", async () => {
    const res = await b.api.get(`/Users/${userId}?attributes=userName,name.givenName,${ENT}:department`);
    expect(res.status).toBe(200);
    expect(res.body.userName).toBe("hostile@x.test");
    expect((await b.api.get(`/Users?excludedAttributes=emails,${ENT}`)).status).toBe(200);
    // Microsoft's Postman collection asks for value-filtered attributes.
    expect((await b.api.get(`/Users/${userId}?attributes=${encodeURIComponent('emails[type eq "work"]')}`)).status).toBe(200);
    expectScimError(await scim().get(`/Users/${userId}?attributes=${encodeURIComponent("emails[type eq")}`).set(b.auth), 400, "invalidValue");
  });
});

describe("4. a body that does not match its Content-Encoding", () => {
  const body = JSON.stringify(newUser("encoded@x.test"));
  for (const encoding of ["gzip", "deflate", "br"]) {
    it(`${encoding}: garbage is 400, a real ${encoding} body is read`, async () => {
      expectScimError(await sendRaw("post", "/Users", body, { "Content-Encoding": encoding }), 400, "invalidSyntax");
      expect(writes()).toEqual([]);
      const packed = encoding === "gzip" ? gzipSync(body) : encoding === "deflate" ? deflateSync(body) : brotliCompressSync(body);
      // fetch sends the compressed bytes exactly as given (superagent did not here).
      const ok = await fetch(`${b.url}/scim/v2/Users/${userId}`, {
        method: "PUT",
        headers: { ...b.auth, "Content-Type": "application/scim+json", "Content-Encoding": encoding },
        body: packed,
      });
      expect(ok.status, await ok.text()).toBe(200);
    });
  }

  it("an unknown encoding is 415", async () => {
    expectScimError(await sendRaw("post", "/Users", body, { "Content-Encoding": "zip-it" }), 415);
  });
});

describe("5. values BigCommerce should never see", () => {
  for (const userName of ["nul\u0000@x.test", "bell\u0007@x.test", "esc\u001b@x.test", "del\u007f@x.test"]) {
    it(`userName ${JSON.stringify(userName)} is 400 invalidValue, nothing sent`, async () => {
      expectScimError(await sendRaw("post", "/Users", JSON.stringify(newUser(userName))), 400, "invalidValue");
      expect(writes()).toEqual([]);
    });
  }

  it("an object-valued manager.value is 400, not '[object Object]'", async () => {
    const res = await sendRaw("post", "/Users", JSON.stringify(newUser("mgr@x.test", { [ENT]: { manager: { value: { id: 1 } } } })));
    expectScimError(res, 400, "invalidValue");
    expect(writes()).toEqual([]);
  });

  it("so is one set by PATCH", async () => {
    for (const [path, value] of [
      [`${ENT}:manager.value`, { id: 1 }],
      [`${ENT}:manager`, { value: ["1"] }],
    ] as const) {
      const res = await sendRaw("patch", `/Users/${userId}`, JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "add", path, value }] }));
      expectScimError(res, 400, "invalidValue");
      expect(writes()).toEqual([]);
    }
  });

  for (const q of ["startIndex=9007199254740993", "count=9007199254740993", "startIndex=2147483648", "startIndex=1&startIndex=2"]) {
    it(`${q} is 400 invalidValue, never sent upstream`, async () => {
      b.emulator.clearRequests();
      expectScimError(await scim().get(`/Users?${q}`).set(b.auth), 400, "invalidValue");
      expect(b.upstreamCalls()).toEqual([]);
    });
  }
});

describe("6. metrics labels do not come from the URL", () => {
  it("unauthenticated requests to made-up paths add no label set", async () => {
    for (const p of ["qwerty", "asdfgh", "Zxcvbn.x"]) expect((await scim().get(`/${p}`)).status).toBe(401);
    const text = (await request(b.url).get("/metrics").set(b.auth)).text;
    expect(text).not.toMatch(/qwerty|asdfgh|zxcvbn/i);
    expect(text).toMatch(/scim_requests_total\{method="GET",resource="other",status="401"\} 3/);
  });
});

describe("8. unsupported methods on existing paths", () => {
  for (const [method, path, allow] of [
    ["post", "/Schemas", "GET, HEAD"],
    ["put", "/Users", "GET, POST, HEAD"],
    ["delete", "/Groups", "GET, POST, HEAD"],
    ["post", "/Users/1", "GET, PUT, PATCH, DELETE, HEAD"],
    ["get", "/Users/.search", "POST"],
    ["patch", "/ServiceProviderConfig", "GET, HEAD"],
  ] as const) {
    it(`${method.toUpperCase()} ${path} is 405 with Allow: ${allow}`, async () => {
      const res = await scim()[method](path).set(b.auth);
      expectScimError(res, 405);
      expect(res.headers.allow).toBe(allow);
    });
  }

  it("unknown paths are still 404", async () => {
    expectScimError(await scim().post("/Roles").set(b.auth), 404);
  });
});

describe("9. requests Node's parser refuses", () => {
  it("an oversized request line gets a SCIM error body", async () => {
    const { port } = new URL(b.url);
    const filter = encodeURIComponent(`userName eq "${"x".repeat(20_000)}"`);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write(`GET /scim/v2/Users?filter=${filter} HTTP/1.1\r\nHost: x\r\nAuthorization: ${b.auth.Authorization}\r\n\r\n`);
      });
      let data = "";
      socket.on("data", (chunk) => (data += chunk.toString()));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw).toMatch(/Content-Type: application\/scim\+json/i);
    const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { schemas: string[]; status: string };
    expect(body).toMatchObject({ schemas: [ERROR], status: "431" });
  });
});
