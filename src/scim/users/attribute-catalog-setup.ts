import type { BigCommerceClient } from "../../bigcommerce/index.js";
import type { StorableAttribute } from "../../config.js";
import { AttributeCatalog, BRIDGE_ATTRIBUTE_NAMES, type BridgeAttributeKey, type CatalogKey } from "../../mapping/bridge-attributes.js";
import { withStoreTypes, type CustomKey, type CustomMapping } from "../../mapping/custom-mapping.js";
import type { CustomerAttributeType } from "../../mapping/mapping-file.js";

/** BigCommerce allows this many customer attribute definitions per store. */
const MAX_DEFINITIONS = 50;

export interface StoreAttributes {
  catalog: AttributeCatalog;
  /** The mapping with each mapped attribute's type as the store has it. */
  mapping: CustomMapping;
}

/**
 * Finds (or creates, once per store) the customer attribute definitions the bridge keeps its
 * values in, and those the mapping file names. Runs at start-up: two calls when they all exist
 * already. The bridge's own are type string; a merchant's attribute that the file names is used
 * as it is (its id and type); one that is missing is created with the file's type.
 */
export async function ensureAttributeCatalog(
  client: BigCommerceClient,
  stored: readonly StorableAttribute[],
  mapping: CustomMapping = { entries: [], storedAttributes: stored, extensionUrns: [] },
  /** Told when the store's attribute has another type than the file asks (the store's is kept). */
  onTypeKept?: (note: { attribute: string; type: CustomerAttributeType; requested: CustomerAttributeType }) => void,
): Promise<StoreAttributes> {
  const wanted: BridgeAttributeKey[] = ["externalId", "active", "groupBeforeDeactivation", "channelsBeforeDeactivation", "phoneType", ...stored];
  const custom = mapping.entries.flatMap((e) => (e.target.kind === "customerAttribute" ? [{ key: e.key, name: e.target.name, type: e.target.type, typeRequested: e.target.typeRequested }] : []));
  const existing = await client.attributes.list();
  const byName = new Map(existing.map((a) => [a.name, a]));
  const byLowerName = new Map(existing.map((a) => [a.name.toLowerCase(), a]));
  const ids = new Map<CatalogKey, number>();
  const types = new Map<CustomKey, CustomerAttributeType>();
  const missing: { key: CatalogKey; name: string; type: CustomerAttributeType }[] = [];
  for (const key of wanted) {
    const def = byName.get(BRIDGE_ATTRIBUTE_NAMES[key]);
    if (def && def.type !== "string") {
      throw new Error(`Customer attribute '${def.name}' exists with type '${def.type}'; the bridge needs type 'string'. Rename or delete it.`);
    }
    if (def) ids.set(key, def.id);
    else missing.push({ key, name: BRIDGE_ATTRIBUTE_NAMES[key], type: "string" });
  }
  for (const entry of custom) {
    // The merchant's attribute, as the control panel shows it (names are matched without case).
    const def = byName.get(entry.name) ?? byLowerName.get(entry.name.toLowerCase());
    if (def) {
      ids.set(entry.key, def.id);
      types.set(entry.key, def.type);
      if (entry.typeRequested && def.type !== entry.type) onTypeKept?.({ attribute: def.name, type: def.type, requested: entry.type });
    } else {
      missing.push({ key: entry.key, name: entry.name, type: entry.type });
      types.set(entry.key, entry.type);
    }
  }
  if (missing.length > 0) {
    if (existing.length + missing.length > MAX_DEFINITIONS) {
      throw new Error(
        `The store has ${existing.length} customer attributes; the bridge needs ${missing.length} more (${missing.map((m) => m.name).join(", ")}) ` +
          `and BigCommerce allows ${MAX_DEFINITIONS}. Free some, shorten SCIM_STORED_ATTRIBUTES, or map to existing attributes or form fields in SCIM_MAPPING_FILE.`,
      );
    }
    const created = await client.attributes.create(missing.map((m) => ({ name: m.name, type: m.type })));
    for (const def of created) {
      const found = missing.find((m) => m.name === def.name);
      if (found) ids.set(found.key, def.id);
    }
  }
  return { catalog: new AttributeCatalog(ids), mapping: withStoreTypes(mapping, types) };
}
