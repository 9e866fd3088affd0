import { beforeAll, describe, expect, it, vi } from "vitest";
import type { FaultRule } from "../../src/emulator/faults.js";
import { BC, createUser, ENT, newUser, store, useBridge, withBridge } from "./helpers.js";

/**
 * RFC 7644 §3.5.2: a PATCH or PUT that fails leaves the resource as it was; one that succeeds
 * wrote all of it (issue 7 item 3). The matrix fails each BigCommerce write a user update makes,
 * in each way it can fail, and compares the user before and after.
 */
let gold: number;
const b = useBridge();
beforeAll(async () => {
  gold = store(b).groups.insert({ name: "Gold" }).id;
});

let n = 0;
async function user() {
  const email = `atomic${++n}@x.test`;
  const created = await createUser(b.api, email, { externalId: `ext-${n}-a`, title: "Title A", password: "Known-pass-1", [ENT]: { department: "Dept A" } });
  return { id: created.id, email, externalId: `ext-${n}-a` };
}

/** The user as a client sees it, without meta (an undone write still moves date_modified). */
async function view(id: string) {
  const res = await b.api.get(`/Users/${id}`);
  expect(res.status).toBe(200);
  const { meta: _meta, ...rest } = res.body as Record<string, unknown>;
  return rest;
}
async function findByExternalId(externalId: string) {
  const res = await b.api.get(`/Users?filter=${encodeURIComponent(`externalId eq "${externalId}"`)}`);
  return (res.body.Resources as { id: string }[]).map((u) => u.id);
}

const WRITES: Record<string, { method: string; path: string }> = {
  "externalId index": { method: "POST", path: "/v3/customers/metafields" },
  "customer PUT": { method: "PUT", path: "/v3/customers" },
  "attribute value upsert": { method: "PUT", path: "/v3/customers/attribute-values" },
  "attribute value delete": { method: "DELETE", path: "/v3/customers/attribute-values" },
};
const HOW: Record<string, (w: { method: string; path: string }) => FaultRule> = {
  "4xx refusal": (w) => ({ ...w, status: 422, count: 1 }),
  // Reads and deletes are retried three times by the client; writes are not resent.
  "503": (w) => ({ ...w, status: 503, count: w.method === "DELETE" ? 3 : 1 }),
  "dropped answer": (w) => ({ ...w, dropResponse: true, count: 1 }),
};

describe("a failed user update leaves the user as it was", () => {
  for (const [which, write] of Object.entries(WRITES)) {
    for (const [how, fault] of Object.entries(HOW)) {
      it(`${which} fails (${how}): all or nothing`, async () => {
        const u = await user();
        const before = await view(u.id);
        b.emulator.faults.add(fault(write));
        const res = await b.api.patch(`/Users/${u.id}`, [
          { op: "replace", value: { externalId: `${u.externalId}-b`, title: "Title B", "name.familyName": "Changed" } },
          { op: "remove", path: `${ENT}:department` },
        ]);
        b.emulator.faults.clear();
        const after = await view(u.id);
        if (res.status === 200) {
          // The client settled the failure (a lost answer re-read as written): all of it is there.
          expect(after).toMatchObject({ externalId: `${u.externalId}-b`, title: "Title B", name: { familyName: "Changed" } });
          expect((after[ENT] as Record<string, unknown> | undefined)?.department).toBeUndefined();
          expect(await findByExternalId(`${u.externalId}-b`)).toEqual([u.id]);
        } else {
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(after).toEqual(before);
          expect(await findByExternalId(u.externalId)).toEqual([u.id]);
          expect(await findByExternalId(`${u.externalId}-b`)).toEqual([]);
        }
        expect(store(b).customers.checkPassword(Number(u.id), "Known-pass-1")).toBe(true);
      });
    }
  }
});

describe("a failed user PUT leaves the user as it was", () => {
  for (const [which, write] of Object.entries(WRITES)) {
    it(`${which} fails (503) during a PUT: all or nothing`, async () => {
      const u = await user();
      const before = await view(u.id);
      b.emulator.faults.add(HOW["503"]!(write));
      // The PUT changes externalId, title and familyName, and drops department.
      const res = await b.api.put(`/Users/${u.id}`, {
        ...newUser(u.email, { externalId: `${u.externalId}-b`, title: "Title B" }),
        name: { givenName: "Given", familyName: "Changed" },
      });
      b.emulator.faults.clear();
      const after = await view(u.id);
      if (res.status === 200) {
        expect(after).toMatchObject({ externalId: `${u.externalId}-b`, title: "Title B", name: { familyName: "Changed" } });
        expect((after[ENT] as Record<string, unknown> | undefined)?.department).toBeUndefined();
      } else {
        expect(res.status).toBe(503);
        expect(after).toEqual(before);
        expect(await findByExternalId(u.externalId)).toEqual([u.id]);
      }
    });
  }
});

describe("refusals BigCommerce would make are found before the first write", () => {
  it("[replace title, replace userName with another user's email] is 409 and the title is unchanged", async () => {
    const u = await user();
    const other = await user();
    const before = await view(u.id);
    const res = await b.api.patch(`/Users/${u.id}`, [
      { op: "replace", path: "title", value: "Should not stay" },
      { op: "replace", path: "userName", value: other.email.toUpperCase() },
    ]);
    expect(res.status).toBe(409);
    expect(res.body.scimType).toBe("uniqueness");
    expect(await view(u.id)).toEqual(before);
  });

  it("a password BigCommerce refuses is 400 and nothing else is written (PATCH and PUT)", async () => {
    const u = await user();
    const before = await view(u.id);
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { title: "Nope", password: "short" } }]);
    expect(res.status).toBe(400);
    expect(await view(u.id)).toEqual(before);
    const put = await b.api.put(`/Users/${u.id}`, newUser(u.email, { title: "Nope", externalId: "put-ext", password: "short" }));
    expect(put.status).toBe(400);
    expect(await view(u.id)).toEqual(before);
    expect(await findByExternalId("put-ext")).toEqual([]);
  });

  it("an unknown customerGroupId is 400 invalidValue and nothing else is written", async () => {
    const u = await user();
    const before = await view(u.id);
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { title: "Nope", [`${BC}:customerGroupId`]: 4242 } }]);
    expect(res.status).toBe(400);
    expect(res.body.scimType).toBe("invalidValue");
    expect(res.body.detail).toMatch(/customerGroupId/);
    expect(await view(u.id)).toEqual(before);
    const ok = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", value: { [`${BC}:customerGroupId`]: gold } }]);
    expect(ok.status).toBe(200);
  });
});

describe("a failed user create leaves no customer", () => {
  it("the externalId index write fails (503): the create stands, the user is found at once, and the entry is written behind", async () => {
    // Issue 9: the index is written behind the answer (a failed create would turn the IdP's
    // retry into a 409), so a failing index write must neither fail the create nor hide the user.
    const body = newUser("create.undo@x.test", { externalId: "create-undo" });
    b.emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 503, count: 1 });
    const first = await b.api.post("/Users", body);
    expect(first.status).toBe(201);
    expect(store(b).customers.all().filter((c) => c.email === "create.undo@x.test")).toHaveLength(1);
    expect(await findByExternalId("create-undo")).toEqual([first.body.id]);
    await vi.waitFor(
      () => expect(store(b).metafields.where((m) => m.resource_id === Number(first.body.id)).length).toBeGreaterThan(0),
      { timeout: 30_000, interval: 200 },
    );
    b.emulator.faults.clear();
  });
});

describe("an externalId index entry written behind the answer", () => {
  it("is still tried after its create's own deadline has passed (its retries are work of their own)", async () => {
    // A short request budget: the retries (2 s, then 4 s after a failure) come after it.
    const env = { SCIM_REQUEST_BUDGET_MS: "2500", BIGCOMMERCE_REQUEST_TIMEOUT_MS: "1000", BIGCOMMERCE_MAX_WAIT_MS: "1500" };
    await withBridge(env, async (own) => {
      own.emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 503, count: 2 });
      const created = await own.api.post("/Users", newUser("behind.late@x.test", { externalId: "behind-late" }));
      expect(created.status).toBe(201);
      // The third attempt, about 6 s after the create, is the first BigCommerce accepts.
      await vi.waitFor(
        () => expect(store(own).metafields.where((m) => m.resource_id === Number(created.body.id)).length).toBeGreaterThan(0),
        { timeout: 30_000, interval: 200 },
      );
      const posts = own.upstreamCalls().filter((c) => c.method === "POST" && c.path.endsWith("/v3/customers/metafields"));
      expect(posts.map((c) => c.status)).toEqual([503, 503, 200]);
    });
  });
});

