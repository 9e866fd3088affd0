import { describe, expect, it } from "vitest";
import { applyPatch, type PatchTarget } from "../../src/scim/patch/apply-patch.js";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const target: PatchTarget = {
  urns: [ENT],
  multiValued: new Set(["emails", "phoneNumbers", "addresses"]),
  readOnly: new Set(["id", "meta", "schemas", "groups"]),
  booleans: new Set(["active", "primary"]),
};
const user = () => ({
  id: "7",
  userName: "a@x.test",
  active: true,
  name: { givenName: "A", familyName: "B" },
  emails: [{ value: "a@x.test", type: "work", primary: true }],
  [ENT]: { department: "Sales" },
});

describe("PATCH engine", () => {
  it("accepts Entra's capitalised op and string booleans", () => {
    const out = applyPatch(user(), [{ op: "Replace", path: "active", value: "False" }], target);
    expect(out.active).toBe(false);
  });

  it("applies a no-path replace with dotted and URN keys (Entra, Okta)", () => {
    const out = applyPatch(
      user(),
      [{ op: "replace", value: { "name.givenName": "Z", active: "True", [`${ENT}:department`]: "Ops", id: "999" } }],
      target,
    );
    expect(out.name).toEqual({ givenName: "Z", familyName: "B" });
    expect(out.active).toBe(true);
    expect((out[ENT] as Record<string, unknown>).department).toBe("Ops");
    expect(out.id).toBe("7"); // read-only, ignored
  });

  it("creates the element a filtered path names when none matches", () => {
    const out = applyPatch(user(), [{ op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 555" }], target);
    expect(out.phoneNumbers).toEqual([{ type: "mobile", value: "+1 555" }]);
  });

  it("updates the matching element of a filtered path", () => {
    const out = applyPatch(user(), [{ op: "replace", path: 'emails[type eq "work"].value', value: "new@x.test" }], target);
    expect(out.emails).toEqual([{ value: "new@x.test", type: "work", primary: true }]);
  });

  it("remove with a filtered path removes the matching elements only (a filter on a sub-attribute clears that sub-attribute)", () => {
    const two = { ...user(), addresses: [{ type: "work", locality: "Austin" }, { type: "home", locality: "Leeds" }] };
    const out = applyPatch(two, [{ op: "remove", path: 'addresses[type eq "home"]' }], target);
    expect(out.addresses).toEqual([{ type: "work", locality: "Austin" }]);
    const sub = applyPatch(two, [{ op: "remove", path: 'addresses[type eq "home"].locality' }], target);
    expect(sub.addresses).toEqual([{ type: "work", locality: "Austin" }, { type: "home", locality: null }]);
  });

  it("add of an element without a value replaces the one of the same type (addresses)", () => {
    const two = { ...user(), addresses: [{ type: "work", locality: "Austin" }, { type: "home", locality: "Leeds" }] };
    const out = applyPatch(two, [{ op: "add", path: "addresses", value: [{ type: "Work", locality: "Dallas" }] }], target);
    expect(out.addresses).toEqual([{ type: "home", locality: "Leeds" }, { type: "Work", locality: "Dallas" }]);
  });

  it("accepts manager as a bare string and removes with an empty string", () => {
    const set = applyPatch(user(), [{ op: "add", path: `${ENT}:manager`, value: "m1" }], target);
    expect((set[ENT] as Record<string, unknown>).manager).toBe("m1");
    const cleared = applyPatch(set, [{ op: "Replace", path: `${ENT}:manager`, value: "" }], target);
    expect((cleared[ENT] as Record<string, unknown>).manager).toBeNull();
  });

  it("marks removals as null (clear), not as absent (unchanged)", () => {
    const out = applyPatch(user(), [{ op: "remove", path: `${ENT}:department` }], target);
    expect(out[ENT]).toEqual({ department: null });
  });

  it("applies all operations or none", () => {
    const original = user();
    expect(() =>
      applyPatch(original, [{ op: "replace", path: "active", value: false }, { op: "bogus", path: "active" }], target),
    ).toThrow(/unknown op/);
    expect(original.active).toBe(true);
  });

  it("applies operations in order (validator: several ops on one attribute)", () => {
    const out = applyPatch(
      { ...user(), externalId: "x" },
      [
        { op: "remove", path: "externalId" },
        { op: "add", value: { externalId: "A" } },
        { op: "replace", value: { externalId: "B" } },
      ],
      target,
    );
    expect(out.externalId).toBe("B");
  });

  it("refuses remove without a path", () => {
    expect(() => applyPatch(user(), [{ op: "remove" }], target)).toThrow(/needs a path/);
  });
});
