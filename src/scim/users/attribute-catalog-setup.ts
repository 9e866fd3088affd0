import type { BigCommerceClient } from "../../bigcommerce/index.js";
import type { StorableAttribute } from "../../config.js";
import { AttributeCatalog, BRIDGE_ATTRIBUTE_NAMES, type BridgeAttributeKey } from "../../mapping/bridge-attributes.js";

/**
 * Finds (or creates, once per store) the customer attribute definitions the bridge keeps its
 * values in. Runs at start-up: two calls when they all exist already.
 */
export async function ensureAttributeCatalog(client: BigCommerceClient, stored: readonly StorableAttribute[]): Promise<AttributeCatalog> {
  const wanted: BridgeAttributeKey[] = ["externalId", "active", "groupBeforeDeactivation", "channelsBeforeDeactivation", "groupMemberships", "phoneType", ...stored];
  const existing = await client.attributes.list();
  const byName = new Map(existing.map((a) => [a.name, a]));
  const ids = new Map<BridgeAttributeKey, number>();
  const missing: BridgeAttributeKey[] = [];
  for (const key of wanted) {
    const def = byName.get(BRIDGE_ATTRIBUTE_NAMES[key]);
    if (def && def.type !== "string") {
      throw new Error(`Customer attribute '${def.name}' exists with type '${def.type}'; the bridge needs type 'string'. Rename or delete it.`);
    }
    if (def) ids.set(key, def.id);
    else missing.push(key);
  }
  if (missing.length > 0) {
    if (existing.length + missing.length > 50) {
      throw new Error(
        `The store has ${existing.length} customer attributes; the bridge needs ${missing.length} more and BigCommerce allows 50. ` +
          "Free some, or shorten SCIM_STORED_ATTRIBUTES.",
      );
    }
    const created = await client.attributes.create(missing.map((key) => ({ name: BRIDGE_ATTRIBUTE_NAMES[key], type: "string" as const })));
    for (const def of created) {
      const key = missing.find((k) => BRIDGE_ATTRIBUTE_NAMES[k] === def.name);
      if (key) ids.set(key, def.id);
    }
  }
  return new AttributeCatalog(ids);
}
