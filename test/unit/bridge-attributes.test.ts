import { describe, expect, it } from "vitest";
import type { Customer } from "../../src/bigcommerce/api.js";
import { AttributeCatalog, readBridgeAttributes } from "../../src/mapping/bridge-attributes.js";

const catalog = new AttributeCatalog(new Map([["active", 7], ["externalId", 8]]));
const customer = (attributes: Customer["attributes"]) =>
  ({ id: 5, email: "a@x.test", first_name: "A", last_name: "B", date_created: "", date_modified: "2024-01-01T00:00:00Z", attributes }) as Customer;

describe("reading the bridge's attribute values", () => {
  it("maps values by definition id and ignores other attributes", () => {
    const read = readBridgeAttributes(
      customer([
        { id: 11, attribute_id: 7, attribute_value: "false", customer_id: 5, date_modified: "2024-02-01T00:00:00Z" },
        { id: 12, attribute_id: 99, attribute_value: "merchant's", customer_id: 5 },
      ]),
      catalog,
    );
    expect(read).toEqual({ values: { active: "false" }, valueIds: { active: 11 }, lastModified: "2024-02-01T00:00:00Z" });
  });

  it("keeps a value whose id is unknown (0) but never offers that id for deletion", () => {
    const read = readBridgeAttributes(customer([{ id: 0, attribute_id: 8, attribute_value: "ext-1", customer_id: 5 }]), catalog);
    expect(read.values.externalId).toBe("ext-1");
    expect(read.valueIds.externalId).toBeUndefined();
  });
});
