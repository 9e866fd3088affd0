/**
 * The IdPs' read-then-write cycles cost no redundant upstream calls (issue 9): a PATCH/PUT right
 * after the same client's lookup or GET starts from that read, a write sends only what the
 * request changes (so an older base cannot undo another writer's change), concurrent lookups
 * share calls, and the externalId index written behind the create still finds the user at once.
 * Call lists come from the emulator's request log.
 */
import { describe, expect, it, vi } from "vitest";
import pino from "pino";
import { toCustomerId } from "../../src/bigcommerce/index.js";
import { ExternalIdIndex, INDEX_NAMESPACE } from "../../src/scim/users/external-id-index.js";
import type { PendingIndexEntries } from "../../src/scim/users/pending-index.js";
import { countCalls, createUser, newUser, store, useBridge, withBridge } from "./helpers.js";

const b = useBridge();

let n = 0;
const user = (extra: Record<string, unknown> = {}) => createUser(b.api, `economy${++n}@x.test`, extra);
const byUserName = (email: string) => `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`;

describe("no redundant reads", () => {
  it("Entra deactivation (lookup, then PATCH) reads the customer once", async () => {
    const u = await user();
    const { calls } = await countCalls(b, async () => {
      expect((await b.api.get(byUserName(u.userName.toUpperCase()))).body.Resources[0].id).toBe(u.id);
      expect((await b.api.patch(`/Users/${u.id}`, [{ op: "Replace", path: "active", value: "False" }])).body.active).toBe(false);
    });
    expect(calls).toEqual(["GET /v3/customers", "PUT /v3/customers/attribute-values", "PUT /v3/customers"].sort((a, z) => calls.indexOf(a) - calls.indexOf(z)));
    expect(calls.filter((c) => c === "GET /v3/customers")).toHaveLength(1);
  });

  it("Okta push (GET, then PUT) reads once; the write after it reads again (own writes drop the remembered read)", async () => {
    const u = await user();
    const { calls } = await countCalls(b, async () => {
      const got = (await b.api.get(`/Users/${u.id}`)).body;
      expect((await b.api.put(`/Users/${u.id}`, { ...got, name: { givenName: "Pushed", familyName: "Family" } })).status).toBe(200);
    });
    expect(calls).toEqual(["GET /v3/customers", "PUT /v3/customers"]);
    const { calls: again } = await countCalls(b, () => b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: "name.givenName", value: "Again" }]));
    expect(again).toEqual(["GET /v3/customers", "PUT /v3/customers"]);
  });

  it("an older base never undoes another writer's change: only the fields the request changes are sent", async () => {
    const u = await user();
    await b.api.get(`/Users/${u.id}`); // remembered
    const row = store(b).customers.get(Number(u.id))!;
    store(b).customers.save({ ...row, last_name: "ChangedElsewhere", company: "Other Co" });
    const res = await b.api.patch(`/Users/${u.id}`, [{ op: "replace", path: "name.givenName", value: "Mine" }]);
    expect(res.status).toBe(200);
    const after = store(b).customers.get(Number(u.id))!;
    expect(after).toMatchObject({ first_name: "Mine", last_name: "ChangedElsewhere", company: "Other Co" });
  });

  it("SCIM_RECENT_READ_MS=0 turns it off: every write reads first", async () => {
    await withBridge({ SCIM_RECENT_READ_MS: "0" }, async (own) => {
      const created = (await own.api.post("/Users", newUser("economy.off@x.test"))).body;
      const { calls } = await countCalls(own, async () => {
        await own.api.get(`/Users/${created.id}`);
        await own.api.patch(`/Users/${created.id}`, [{ op: "replace", path: "name.givenName", value: "Off" }]);
      });
      expect(calls).toEqual(["GET /v3/customers", "GET /v3/customers", "PUT /v3/customers"]);
    });
  });
});

describe("merged lookups through the bridge", () => {
  it("20 concurrent userName eq lookups under quota pressure share at most 2 calls, each answered with its own user", async () => {
    // A short window from the start, so the bridge learns it (a real store's window never changes).
    await withBridge({}, async (own) => {
      const users = (await Promise.all(Array.from({ length: 20 }, (_, i) => own.api.post("/Users", newUser(`pressure${i}@x.test`))))).map((r) => r.body);
      // Quota pressure: a small window whose budget the bridge has just spent.
      own.emulator.setOptions({ rateQuota: 4 });
      for (let i = 0; i < 4; i++) expect((await own.api.get(`/Users/${users[i].id}`)).status).toBe(200);
      const { result, calls } = await countCalls(own, () => Promise.all(users.map((u) => own.api.get(byUserName(u.userName)))));
      expect(result.map((r) => r.body.Resources.map((x: { id: string }) => x.id))).toEqual(users.map((u) => [u.id]));
      expect(calls.length).toBeLessThanOrEqual(2);
      expect(own.emulator.requests.filter((r) => r.status === 429)).toHaveLength(0);
    }, { emulator: { rateQuota: 100_000, rateWindowMs: 4000 } });
  });

  it("a userName with a comma matches nobody and costs no call", async () => {
    const { result, calls } = await countCalls(b, () => b.api.get(byUserName("a@x.test,economy1@x.test")));
    expect(result.body.totalResults).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe("externalId index written behind", () => {
  it("externalId eq finds the user as soon as its create is answered, and the index entry is written", async () => {
    const u = await user({ externalId: "behind-1" });
    const found = await b.api.get(`/Users?filter=${encodeURIComponent('externalId eq "behind-1"')}`);
    expect(found.body.Resources.map((x: { id: string }) => x.id)).toEqual([u.id]);
    await vi.waitFor(
      () => {
        const entries = store(b).metafields.all().filter((m) => m.namespace === INDEX_NAMESPACE && m.resource_id === Number(u.id));
        expect(entries.map((m) => m.value)).toEqual(["behind-1"]);
      },
      { timeout: 10_000, interval: 50 },
    );
  });

  it("when the entry cannot be noted as pending (shared state down), it is written before the create is answered", async () => {
    const u = await user();
    const down: PendingIndexEntries = {
      add: () => Promise.reject(new Error("Redis is not answering")),
      remove: () => Promise.reject(new Error("Redis is not answering")),
      lookup: () => Promise.reject(new Error("Redis is not answering")),
    };
    const index = new ExternalIdIndex(b.client, pino({ level: "silent" }), down);
    await index.add(toCustomerId(Number(u.id))!, "noted-now-1");
    // No waiting: add() returned only after the metafield was written.
    const entries = store(b).metafields.all().filter((m) => m.namespace === INDEX_NAMESPACE && m.value === "noted-now-1");
    expect(entries.map((m) => m.resource_id)).toEqual([Number(u.id)]);
  });

  it("start-up repair restores an entry that was lost before it was written (a crash), and only that one", async () => {
    const u = await user({ externalId: "lost-1" });
    const kept = await user({ externalId: "kept-1" });
    const indexed = () => store(b).metafields.all().filter((m) => m.namespace === INDEX_NAMESPACE);
    await vi.waitFor(() => expect(indexed().map((m) => m.value).sort()).toEqual(expect.arrayContaining(["kept-1", "lost-1"])), { timeout: 10_000 });
    const lost = indexed().find((m) => m.value === "lost-1")!;
    store(b).metafields.delete(lost.id);
    // A fresh index (as at the next start-up) over the bridge's own client.
    const index = new ExternalIdIndex(b.client, pino({ level: "silent" }));
    const attribute = store(b).attributes.all().find((a) => a.name === "scim_external_id")!;
    expect(await index.repair(attribute.id, new Date(Date.now() - 3_600_000))).toBe(1);
    expect(indexed().filter((m) => m.value === "lost-1").map((m) => m.resource_id)).toEqual([Number(u.id)]);
    expect(indexed().filter((m) => m.value === "kept-1").map((m) => m.resource_id)).toEqual([Number(kept.id)]);
    expect(await index.repair(attribute.id, new Date(Date.now() - 3_600_000))).toBe(0);
  });
});
