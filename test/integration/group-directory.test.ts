/**
 * The group directory's answer to "is this group gone?", asked for every group id a customer's
 * stored values name on each read: never a call of its own, one background listing at most every
 * 5 s to settle an id it cannot place. A directory of its own on a bridge's client (the emulator
 * over real HTTP), its throttle on the fake clock.
 */
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import type { BigCommerceClient, CustomerGroupId, CustomerGroupListQuery } from "../../src/bigcommerce/index.js";
import { GroupDirectory } from "../../src/scim/groups/group-directory.js";
import { FakeClock } from "../bigcommerce/helpers/fake-clock.js";
import { STORE_HASH, useBridge } from "./helpers.js";

const b = useBridge({}, { each: true });

function directory(clock = new FakeClock()): { dir: GroupDirectory; clock: FakeClock } {
  return { dir: new GroupDirectory(b.client, pino({ level: "silent" }), 60_000, clock), clock };
}
const listings = () => b.emulator.requests.filter((r) => r.method === "GET" && r.path === `/stores/${STORE_HASH}/v2/customer_groups`).length;
const groups = () => b.emulator.store(STORE_HASH).groups;

/**
 * The bridge's client, except that once `armed`, a group is deleted in the store right after the
 * first page of a listing is answered (the control panel, or another replica, deleting a group
 * while the directory reads page after page). Reads still go over HTTP to the emulator.
 */
function deletingAfterFirstPage(victim: () => number) {
  const state = { armed: false };
  const client = {
    customerGroups: {
      list: async (query: CustomerGroupListQuery) => {
        const page = await b.client.customerGroups.list(query);
        if (state.armed && query.page === 1) {
          state.armed = false;
          b.emulator.store(STORE_HASH).deleteGroup(victim());
        }
        return page;
      },
      get: (id: CustomerGroupId) => b.client.customerGroups.get(id),
    },
  } as unknown as BigCommerceClient;
  return { client, state };
}

describe("GroupDirectory.isDeleted", () => {
  it("knows nothing gone before its first listing, except the groups it deleted itself", () => {
    const { dir } = directory();
    expect(dir.isDeleted(7)).toBe(false);
    dir.forget(7);
    expect(dir.isDeleted(7)).toBe(true);
    expect(listings()).toBe(0);
  });

  it("a group missing from a listing below its highest id is gone; a higher unknown id is settled by one listing", async () => {
    const [a, deleted, c] = ["A", "B", "C"].map((name) => groups().insert({ name }).id) as [number, number, number];
    b.emulator.store(STORE_HASH).deleteGroup(deleted);
    const { dir, clock } = directory();
    await dir.load();
    b.emulator.clearRequests();
    expect([dir.isDeleted(a), dir.isDeleted(deleted), dir.isDeleted(c)]).toEqual([false, true, false]);
    expect(listings()).toBe(0);

    // Above every listed id: a group deleted before the listing, or one created since.
    const created = groups().insert({ name: "D" }).id;
    const gone = created + 1;
    expect(dir.isDeleted(gone)).toBe(false);
    expect(dir.isDeleted(created)).toBe(false);
    await vi.waitFor(() => expect(dir.nameOf(created)).toBe("D"));
    expect(listings()).toBe(1);
    expect(dir.isDeleted(gone)).toBe(true);
    expect(dir.isDeleted(created)).toBe(false);

    // Another unknown id within 5 s waits for the next listing (or the minute's refresh).
    const later = created + 5;
    expect(dir.isDeleted(later)).toBe(false);
    expect(listings()).toBe(1);
    await clock.advance(5_000);
    expect(dir.isDeleted(later)).toBe(false);
    await vi.waitFor(() => expect(dir.isDeleted(later)).toBe(true));
    expect(listings()).toBe(2);
  });

  it("keeps at most 10,000 ids of each kind, however many an IdP's filters name", async () => {
    groups().insert({ name: "A" });
    const { dir } = directory();
    await dir.load();
    const high = 1_000_000;
    for (let i = 0; i < 10_050; i += 1) dir.isDeleted(high + i);
    expect(dir.tracked.unconfirmed).toBe(10_000);
    // The listing started by the first ask settles the ids asked before it began; then 10,050 more.
    await vi.waitFor(() => expect(listings()).toBeGreaterThanOrEqual(1));
    for (let i = 0; i < 10_050; i += 1) dir.forget(2 * high + i);
    expect(dir.tracked.deleted).toBe(10_000);
    // The first forgotten were dropped (shown again until a listing settles them), the newest kept.
    expect(dir.isDeleted(2 * high + 10_049)).toBe(true);
    expect(dir.isDeleted(2 * high)).toBe(false);
  });

  it("a listing that fails settles nothing: the unknown id stays shown", async () => {
    groups().insert({ name: "A" });
    const { dir, clock } = directory();
    await dir.load();
    b.emulator.faults.add({ method: "GET", path: "/v2/customer_groups", status: 500, count: 100 });
    b.emulator.clearRequests();
    expect(dir.isDeleted(9)).toBe(false);
    await vi.waitFor(() => expect(listings()).toBeGreaterThan(0));
    await dir.refresh(); // fails too, after the ask
    await clock.advance(5_000);
    expect(dir.isDeleted(9)).toBe(false);
    b.emulator.faults.clear();
    await dir.load();
    expect(dir.isDeleted(9)).toBe(true);
  });

  it("a group a delete during the listing shifts past a page break is not gone: only what one page shows is settled", async () => {
    const ids = Array.from({ length: 300 }, (_, i) => groups().insert({ name: `G${i}` }).id);
    const goneBefore = ids[280]!;
    b.emulator.store(STORE_HASH).deleteGroup(goneBefore);
    const { client, state } = deletingAfterFirstPage(() => ids[10]!);
    const dir = new GroupDirectory(client, pino({ level: "silent" }), 60_000, new FakeClock());
    state.armed = true;
    await dir.load();
    // The delete moved the second page's first group onto the first page, already read: the
    // listing never showed it, though its id lies below the highest listed.
    const skipped = ids[250]!;
    expect(dir.nameOf(skipped)).toBeUndefined();
    expect(dir.isDeleted(skipped)).toBe(false);
    // Gaps inside one page are still known: that page was read at once.
    expect(dir.isDeleted(goneBefore)).toBe(true);
    // The skipped id is settled by the listing its ask started.
    await vi.waitFor(() => expect(dir.nameOf(skipped)).toBe("G250"), { timeout: 10_000 });
    expect(dir.isDeleted(skipped)).toBe(false);
  });

  it("a higher id asked about is not settled gone by a listing whose last page came back empty after a delete", async () => {
    const { client, state } = deletingAfterFirstPage(() => firstPage[0]!);
    const firstPage = Array.from({ length: 250 - groups().count() }, (_, i) => groups().insert({ name: `G${i}` }).id);
    const clock = new FakeClock();
    const dir = new GroupDirectory(client, pino({ level: "silent" }), 60_000, clock);
    await dir.load();
    // One confirming listing now, so that the next ask waits 5 s for its own. The id it settles
    // lies above a full last page (page 2 came back empty): the listing leaves it open, a read
    // of that group (404) settles it.
    dir.isDeleted(1_000_000);
    await vi.waitFor(() => expect(dir.isDeleted(1_000_000)).toBe(true), { timeout: 10_000 });
    const created = groups().insert({ name: "New" }).id;
    expect(dir.isDeleted(created)).toBe(false);
    state.armed = true;
    await dir.load();
    // Page 1 was full, then a delete left nothing at page 2's offset: the new group was skipped.
    expect(dir.nameOf(created)).toBeUndefined();
    expect(dir.isDeleted(created)).toBe(false);
    await dir.load();
    expect(dir.nameOf(created)).toBe("New");
  });

  it("a group created by the bridge, or listed again, is not gone", async () => {
    const { dir } = directory();
    await dir.load();
    dir.forget(3);
    dir.set(3, "Back");
    expect(dir.isDeleted(3)).toBe(false);
    dir.remember([[{ id: 4, name: "Four" } as never]], true);
    expect(dir.isDeleted(3)).toBe(true);
    expect(dir.isDeleted(4)).toBe(false);
  });
});
