import type { BigCommerceClient } from "../../bigcommerce/index.js";
import type { StorableAttribute } from "../../config.js";
import { AttributeCatalog, BRIDGE_ATTRIBUTE_NAMES, type BridgeAttributeKey, type CatalogKey } from "../../mapping/bridge-attributes.js";
import { withStoreTypes, type CustomKey, type CustomMapping } from "../../mapping/custom-mapping.js";
import type { CustomerAttributeType } from "../../mapping/mapping-file.js";

/** BigCommerce allows this many customer attribute definitions per store. */
export const MAX_CUSTOMER_ATTRIBUTES = 50;

export interface StoreAttributes {
  catalog: AttributeCatalog;
  /** The mapping with each mapped attribute's type as the store has it. */
  mapping: CustomMapping;
}

export interface AttributeNeeds {
  /** The mapping file's entries (default: none). */
  mapping?: CustomMapping;
  /** Bookkeeping of mapped features (`addresses` when the mapping file lists address types). */
  features?: readonly BridgeAttributeKey[];
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
  needs: AttributeNeeds = {},
  /** Told when the store's attribute has another type than the file asks (the store's is kept). */
  onTypeKept?: (note: TypeKept) => void,
): Promise<StoreAttributes> {
  const mapping = needs.mapping ?? { entries: [], storedAttributes: stored, extensionUrns: [] };
  const plan = planAttributeDefinitions(await client.attributes.list(), stored, { ...needs, mapping });
  if (plan.problem !== null) throw new Error(plan.problem);
  for (const note of plan.typesKept) onTypeKept?.(note);
  const ids = new Map(plan.ids);
  if (plan.missing.length > 0) {
    const created = await client.attributes.create(plan.missing.map((m) => ({ name: m.name, type: m.type })));
    for (const def of created) {
      const found = plan.missing.find((m) => m.name === def.name);
      if (found) ids.set(found.key, def.id);
    }
  }
  return { catalog: new AttributeCatalog(ids), mapping: withStoreTypes(mapping, plan.types) };
}

export interface TypeKept {
  attribute: string;
  type: CustomerAttributeType;
  requested: CustomerAttributeType;
}

export interface AttributeDefinitionsPlan {
  /** Definitions the store already has. */
  ids: ReadonlyMap<CatalogKey, number>;
  /** Each mapped attribute's type: the store's when it has the attribute, else the file's. */
  types: ReadonlyMap<CustomKey, CustomerAttributeType>;
  /** Definitions to create. */
  missing: { key: CatalogKey; name: string; type: CustomerAttributeType }[];
  /** Mapped attributes whose existing type differs from the one the file asks (the store's is kept). */
  typesKept: TypeKept[];
  /** Why the bridge cannot start with this store (one sentence with the fix), or null. */
  problem: string | null;
}

/** What the bridge needs of the store's attribute definitions, and what stands in the way. Shared with the doctor (src/doctor). */
export function planAttributeDefinitions(
  existing: readonly { id: number; name: string; type: CustomerAttributeType }[],
  stored: readonly StorableAttribute[],
  needs: AttributeNeeds = {},
): AttributeDefinitionsPlan {
  const wanted: BridgeAttributeKey[] = ["externalId", "active", "groupBeforeDeactivation", "channelsBeforeDeactivation", "groupMemberships", "phoneType", ...(needs.features ?? []), ...stored];
  const custom = (needs.mapping?.entries ?? []).flatMap((e) =>
    e.target.kind === "customerAttribute" ? [{ key: e.key, name: e.target.name, type: e.target.type, typeRequested: e.target.typeRequested }] : [],
  );
  const byName = new Map(existing.map((a) => [a.name, a]));
  const byLowerName = new Map(existing.map((a) => [a.name.toLowerCase(), a]));
  const ids = new Map<CatalogKey, number>();
  const types = new Map<CustomKey, CustomerAttributeType>();
  const missing: AttributeDefinitionsPlan["missing"] = [];
  const typesKept: TypeKept[] = [];
  const plan = (problem: string | null): AttributeDefinitionsPlan => ({ ids, types, missing, typesKept, problem });
  for (const key of wanted) {
    const def = byName.get(BRIDGE_ATTRIBUTE_NAMES[key]);
    if (def && def.type !== "string") {
      return plan(`Customer attribute '${def.name}' exists with type '${def.type}'; the bridge needs type 'string'. Rename or delete it.`);
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
      if (entry.typeRequested && def.type !== entry.type) typesKept.push({ attribute: def.name, type: def.type, requested: entry.type });
    } else {
      missing.push({ key: entry.key, name: entry.name, type: entry.type });
      types.set(entry.key, entry.type);
    }
  }
  if (missing.length > 0 && existing.length + missing.length > MAX_CUSTOMER_ATTRIBUTES) {
    return plan(
      `The store has ${existing.length} customer attributes; the bridge needs ${missing.length} more (${missing.map((m) => m.name).join(", ")}) ` +
        `and BigCommerce allows ${MAX_CUSTOMER_ATTRIBUTES}. Free some, shorten SCIM_STORED_ATTRIBUTES, or map to existing attributes or form fields in SCIM_MAPPING_FILE.`,
    );
  }
  return plan(null);
}
