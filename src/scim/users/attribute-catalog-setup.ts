import type { BigCommerceClient } from "../../bigcommerce/index.js";
import type { StorableAttribute } from "../../config.js";
import { AttributeCatalog, BRIDGE_ATTRIBUTE_NAMES, type BridgeAttributeKey } from "../../mapping/bridge-attributes.js";

/**
 * Finds (or creates, once per store) the customer attribute definitions the bridge keeps its
 * values in. Runs at start-up: two calls when they all exist already.
 */
export async function ensureAttributeCatalog(
  client: BigCommerceClient,
  stored: readonly StorableAttribute[],
  /** Bookkeeping of mapped features (`addresses` when the mapping file lists address types). */
  features: readonly BridgeAttributeKey[] = [],
): Promise<AttributeCatalog> {
  const plan = planAttributeDefinitions(await client.attributes.list(), stored, features);
  if (plan.problem !== null) throw new Error(plan.problem);
  const ids = new Map(plan.ids);
  if (plan.missing.length > 0) {
    const created = await client.attributes.create(plan.missing.map((key) => ({ name: BRIDGE_ATTRIBUTE_NAMES[key], type: "string" as const })));
    for (const def of created) {
      const key = plan.missing.find((k) => BRIDGE_ATTRIBUTE_NAMES[k] === def.name);
      if (key) ids.set(key, def.id);
    }
  }
  return new AttributeCatalog(ids);
}

/** BigCommerce's limit on customer attribute definitions per store. */
export const MAX_CUSTOMER_ATTRIBUTES = 50;

export interface AttributeDefinitionsPlan {
  /** Definitions the store already has. */
  ids: ReadonlyMap<BridgeAttributeKey, number>;
  /** Definitions to create. */
  missing: BridgeAttributeKey[];
  /** Why the bridge cannot start with this store (one sentence with the fix), or null. */
  problem: string | null;
}

/** What the bridge needs of the store's attribute definitions, and what stands in the way. Shared with the doctor (src/doctor). */
export function planAttributeDefinitions(
  existing: readonly { id: number; name: string; type: string }[],
  stored: readonly StorableAttribute[],
  features: readonly BridgeAttributeKey[] = [],
): AttributeDefinitionsPlan {
  const wanted: BridgeAttributeKey[] = ["externalId", "active", "groupBeforeDeactivation", "channelsBeforeDeactivation", "phoneType", ...features, ...stored];
  const byName = new Map(existing.map((a) => [a.name, a]));
  const ids = new Map<BridgeAttributeKey, number>();
  const missing: BridgeAttributeKey[] = [];
  for (const key of wanted) {
    const def = byName.get(BRIDGE_ATTRIBUTE_NAMES[key]);
    if (def && def.type !== "string") {
      return { ids, missing, problem: `Customer attribute '${def.name}' exists with type '${def.type}'; the bridge needs type 'string'. Rename or delete it.` };
    }
    if (def) ids.set(key, def.id);
    else missing.push(key);
  }
  if (missing.length > 0 && existing.length + missing.length > MAX_CUSTOMER_ATTRIBUTES) {
    return {
      ids,
      missing,
      problem:
        `The store has ${existing.length} customer attributes; the bridge needs ${missing.length} more and BigCommerce allows ${MAX_CUSTOMER_ATTRIBUTES}. ` +
        "Free some, or shorten SCIM_STORED_ATTRIBUTES.",
    };
  }
  return { ids, missing, problem: null };
}
