import { describe, expect, it } from "vitest";
import { GroupPrecedence, groupsOf, membershipsOf, parseMemberships, storedMemberships } from "../../src/mapping/group-memberships.js";

const names = new Map([
  [1, "Retail"],
  [2, "Wholesale"],
  [3, "VIP"],
  [4, "Staff"],
]);
const nameOf = (id: number) => names.get(id);

describe("group memberships as stored", () => {
  it("no value, an empty one or one without ids: the customer group says it", () => {
    for (const value of [undefined, "", "  ", ",,", "x"]) expect(parseMemberships(value), String(value)).toBeNull();
    expect(membershipsOf(undefined, 7)).toEqual([7]);
    expect(membershipsOf("", 0)).toEqual([]);
    expect(membershipsOf("3, 1,3", 1)).toEqual([3, 1]);
  });

  it("stores nothing when the group alone says it, else the ids in joining order", () => {
    expect(storedMemberships([], 0, 9)).toBe("");
    expect(storedMemberships([4], 4, 9)).toBe("");
    expect(storedMemberships([4, 2], 2, 9)).toBe("4,2");
    // One group that is not the effective one (deleted since): kept, the group cannot say it.
    expect(storedMemberships([4], 0, 9)).toBe("4");
  });

  it("refuses memberships that do not fit a 255-character attribute value, never cuts them", () => {
    const many = Array.from({ length: 60 }, (_, i) => 100_000 + i);
    expect(() => storedMemberships(many, many[0]!, 9)).toThrow(/User 9 would be a member of 60 groups/);
    try {
      storedMemberships(many, many[0]!, 9);
    } catch (err) {
      expect(err).toMatchObject({ status: 400, scimType: "invalidValue" });
    }
  });
});

describe("GroupPrecedence", () => {
  it("the first listed group wins, whatever the joining order; names ignore case", () => {
    const p = new GroupPrecedence(["wholesale", "RETAIL"]);
    expect(p.effective([1, 2], nameOf)).toBe(2);
    expect(p.effective([2, 1], nameOf)).toBe(2);
    expect(p.effective([1], nameOf)).toBe(1);
  });

  it("a listed group beats unlisted ones; among unlisted, the most recent membership wins", () => {
    const p = new GroupPrecedence(["Retail"]);
    expect(p.effective([3, 1, 4], nameOf)).toBe(1);
    expect(p.effective([3, 4], nameOf)).toBe(4);
    expect(p.effective([4, 3], nameOf)).toBe(3);
    expect(new GroupPrecedence([]).effective([2, 1, 3], nameOf)).toBe(3);
    expect(new GroupPrecedence([]).effective([], nameOf)).toBe(0);
  });
});

describe("groupsOf", () => {
  it("leaves out groups known deleted that stored values name, never the customer group itself", () => {
    const deleted = (id: number) => id === 5 || id === 9;
    expect(groupsOf(1, { groupMemberships: "5,1,2" }, null, deleted)).toEqual([1, 2]);
    // Parked (group 9 is the parking group here), returning to a deleted group: in the parking group only.
    expect(groupsOf(9, { active: "false", groupBeforeDeactivation: "5" }, 9, deleted)).toEqual([9]);
    expect(groupsOf(9, { active: "false", groupBeforeDeactivation: "5", groupMemberships: "5,3" }, 9, deleted)).toEqual([9, 3]);
    // Without the directory's word, every named group is shown.
    expect(groupsOf(1, { groupMemberships: "5,1" }, null)).toEqual([1, 5]);
  });
});
