import type { Customer } from "../bigcommerce/api.js";
import { bridgeNameOf, STORABLE_ATTRIBUTE_NAMES, type StorableAttribute } from "./attribute-table.js";
import type { CustomKey } from "./custom-mapping.js";
import { CORE_USER } from "./urns.js";

/**
 * What the bridge keeps with a customer that BigCommerce has no field for. Each is a store-wide
 * customer attribute definition (type string) so that it comes back with the customer in the
 * same GET (`include=attributes`): reading a user never costs a second call.
 */
export type BridgeAttributeKey =
  | "externalId"
  | "active"
  | "groupBeforeDeactivation"
  | "channelsBeforeDeactivation"
  | "groupMemberships"
  | "phoneType"
  /** Which customer address the bridge owns for each SCIM address type (customer-addresses.ts); only when addresses are mapped. */
  | "addresses"
  | StorableAttribute;

export const BRIDGE_ATTRIBUTE_NAMES: Record<BridgeAttributeKey, string> = {
  externalId: bridgeNameOf(CORE_USER, "externalId"),
  active: "scim_active",
  groupBeforeDeactivation: "scim_group_before_deactivation",
  channelsBeforeDeactivation: "scim_channels_before_deactivation",
  /** The SCIM groups the IdP put the customer in, when more than its customer group (group-memberships.ts). */
  groupMemberships: "scim_groups",
  /** The `type` of the stored phone number when it is not "work" (Entra maps the mobile). */
  phoneType: bridgeNameOf(CORE_USER, "phoneNumbers.type"),
  addresses: "scim_addresses",
  ...STORABLE_ATTRIBUTE_NAMES,
};

/** A value kept in a customer attribute: the bridge's own, or a mapping file entry's (custom-mapping.ts). */
export type CatalogKey = BridgeAttributeKey | CustomKey;

/** Attribute definition ids of this store, resolved once at start-up. */
export class AttributeCatalog {
  private readonly keyById = new Map<number, CatalogKey>();

  constructor(private readonly idByKey: ReadonlyMap<CatalogKey, number>) {
    for (const [key, id] of idByKey) this.keyById.set(id, key);
  }

  idOf(key: CatalogKey): number | undefined {
    return this.idByKey.get(key);
  }

  keyOf(attributeId: number): CatalogKey | undefined {
    return this.keyById.get(attributeId);
  }

  get size(): number {
    return this.idByKey.size;
  }
}

export interface BridgeAttributeValues {
  values: Partial<Record<CatalogKey, string>>;
  /** Attribute-value ids, needed to delete a value. */
  valueIds: Partial<Record<CatalogKey, number>>;
  /** Latest date_modified among the bridge's attribute values. */
  lastModified: string | null;
}

export function readBridgeAttributes(customer: Customer, catalog: AttributeCatalog): BridgeAttributeValues {
  const out: BridgeAttributeValues = { values: {}, valueIds: {}, lastModified: null };
  for (const attr of customer.attributes ?? []) {
    const key = catalog.keyOf(attr.attribute_id);
    if (!key) continue;
    out.values[key] = attr.attribute_value;
    if (attr.id > 0) out.valueIds[key] = attr.id; // 0: id not known (see the client's lenient schema)
    if (attr.date_modified && (!out.lastModified || attr.date_modified > out.lastModified)) {
      out.lastModified = attr.date_modified;
    }
  }
  return out;
}
