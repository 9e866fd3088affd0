import { describe, expect, it } from "vitest";
import { ATTRIBUTE_OF_GROUP_FIELD, GROUP_ATTRIBUTES, groupMaxLengthOf } from "../../src/mapping/group-attribute-table.js";
import { CORE_GROUP } from "../../src/mapping/urns.js";
import { scimAttributeForField } from "../../src/scim/errors.js";
import { GroupService } from "../../src/scim/groups/group-service.js";
import { canonicalise, canonicalName, GROUP_SHAPE, subShape } from "../../src/scim/normalise/canonical-keys.js";
import { Discovery } from "../../src/scim/scimmy/discovery.js";
import { declareResources } from "../../src/scim/scimmy/setup.js";

/** The Group attribute table: each consumer is walked over every row, so a new row is covered. */
describe("the group attribute table", () => {
  it("spells every attribute and sub-attribute canonically (GROUP_SHAPE holds every row)", () => {
    for (const row of GROUP_ATTRIBUTES) {
      expect(canonicalName(GROUP_SHAPE, row.path.toUpperCase()), row.path).toBe(row.path);
      for (const sub of row.caseOnly ?? []) expect(canonicalName(subShape(GROUP_SHAPE, row.path)!, sub.toUpperCase()), sub).toBe(sub);
    }
    expect(Object.keys(GROUP_SHAPE).sort()).toEqual(GROUP_ATTRIBUTES.map((r) => r.path).sort());
  });

  it("canonicalises an IdP's body, members included", () => {
    const body = { DisplayName: "Gold", EXTERNALID: "e1", Members: [{ VALUE: "7", $REF: "/Users/7", Type: "User", Display: "a@x.test" }] };
    expect(canonicalise(body, GROUP_SHAPE)).toEqual({
      displayName: "Gold",
      externalId: "e1",
      members: [{ value: "7", $ref: "/Users/7", type: "User", display: "a@x.test" }],
    });
  });

  it("names every customer group field by its SCIM attribute in error messages", () => {
    for (const row of GROUP_ATTRIBUTES) {
      if (row.storage.kind !== "field") continue;
      expect(ATTRIBUTE_OF_GROUP_FIELD[row.storage.field]).toBe(row.path);
      expect(scimAttributeForField(`0.${row.storage.field}`)).toBe(row.path);
    }
    expect(scimAttributeForField("name")).toBe("displayName");
  });

  it("refuses a displayName over the row's limit before any BigCommerce call", async () => {
    const max = groupMaxLengthOf("displayName");
    // No client: the body is refused before one would be needed.
    const service = new GroupService(undefined as never, undefined as never, undefined as never, undefined as never, null, undefined as never, () => {});
    await expect(service.create({ displayName: "x".repeat(max + 1) }, "/scim/v2")).rejects.toMatchObject({
      status: 400,
      message: `'displayName' is longer than ${max} characters`,
    });
  });

  it("is what /Schemas says of a Group: descriptions and uniqueness from the rows", () => {
    declareResources();
    const schema = new Discovery({ storedAttributes: [], maxResults: 100 }).schema("/scim/v2", CORE_GROUP);
    for (const row of GROUP_ATTRIBUTES) {
      const advertised = schema.attributes.find((a) => a.name === row.path);
      if (row.description !== undefined) expect(advertised?.description, row.path).toBe(row.description);
      if (row.uniqueness !== undefined) expect(advertised?.uniqueness, row.path).toBe(row.uniqueness);
      for (const sub of row.readOnlySubs ?? []) {
        const subAttributes = advertised?.subAttributes as { name: string; mutability: string }[];
        expect(subAttributes.find((s) => s.name === sub)?.mutability, `${row.path}.${sub}`).toBe("readOnly");
      }
    }
    expect(GROUP_ATTRIBUTES.find((r) => r.path === "members")?.readOnlySubs).toContain("display");
  });
});
