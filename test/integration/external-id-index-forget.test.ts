/**
 * An externalId index entry written behind and then forgotten (its customer deleted: a SCIM
 * DELETE, or a just-in-time customer storefront sign-in takes back) is no longer looked up, and
 * a write-behind still trying for it gives up instead of retrying against a customer that is gone.
 */
import { describe, expect, it, vi } from "vitest";
import pino from "pino";
import { toCustomerId } from "../../src/bigcommerce/index.js";
import { ExternalIdIndex, INDEX_NAMESPACE, indexKey } from "../../src/scim/users/external-id-index.js";
import { InProcessPendingIndex } from "../../src/scim/users/pending-index.js";
import { createUser, store, useBridge } from "./helpers.js";

const b = useBridge();

describe("forgetting an entry written behind", () => {
  it("drops it from lookups, and the write-behind's next attempt finds it not pending and its customer gone, and writes nothing", async () => {
    const u = await createUser(b.api, "forgotten@x.test");
    const id = toCustomerId(Number(u.id))!;
    const pending = new InProcessPendingIndex();
    let asked = 0;
    const watched = Object.assign(Object.create(pending) as InProcessPendingIndex, {
      lookup: (key: string) => {
        asked += 1;
        return pending.lookup(key);
      },
    });
    const index = new ExternalIdIndex(b.client, pino({ level: "silent" }), watched);
    const writes = () => b.emulator.requests.filter((r) => r.method === "POST" && r.path.endsWith("/v3/customers/metafields"));
    b.emulator.clearRequests();
    // The first write fails (refused credentials: not retried by the client), so the write-behind waits to try again.
    b.emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 401, count: 1 });
    await index.add(id, "forgotten-1");
    await vi.waitFor(() => expect(writes()).toHaveLength(1), { timeout: 10_000 });
    expect(await index.lookup("forgotten-1")).toEqual([id]);
    // As a deletion does: the customer first, then its pending entry.
    await b.client.customers.delete([id]);
    await index.forget(id, "forgotten-1");
    const lookups = asked;
    expect(await index.lookup("forgotten-1")).toEqual([]);
    // The next attempt (after the write-behind's pause) first asks the pending entries, finds it gone, asks the store, and stops.
    await vi.waitFor(() => expect(asked).toBeGreaterThan(lookups + 1), { timeout: 10_000 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes()).toHaveLength(1);
    expect(store(b).metafields.all().filter((m) => m.namespace === INDEX_NAMESPACE && m.resource_id === id)).toEqual([]);
  });

  it("an entry lost from the pending ones while its customer lives (Redis restarted: it keeps no data) is still written", async () => {
    const u = await createUser(b.api, "lost@x.test");
    const id = toCustomerId(Number(u.id))!;
    const pending = new InProcessPendingIndex();
    const index = new ExternalIdIndex(b.client, pino({ level: "silent" }), pending);
    const writes = () => b.emulator.requests.filter((r) => r.method === "POST" && r.path.endsWith("/v3/customers/metafields"));
    b.emulator.clearRequests();
    b.emulator.faults.add({ method: "POST", path: "/v3/customers/metafields", status: 401, count: 1 });
    await index.add(id, "lost-1");
    await vi.waitFor(() => expect(writes()).toHaveLength(1), { timeout: 10_000 });
    // What a Redis restart does to the shared pending entries: the entry is gone, nobody forgot it.
    await pending.remove(indexKey("lost-1"), id);
    await index.settled();
    expect(writes()).toHaveLength(2);
    expect(store(b).metafields.all().filter((m) => m.namespace === INDEX_NAMESPACE && m.resource_id === id && m.value === "lost-1")).toHaveLength(1);
  });
});
