import { CORE_GROUP } from "./urns.js";

/**
 * The SCIM Group attributes the bridge knows. A Group is a BigCommerce customer group (V2):
 * its name is the one field it has; its members are the customers whose customer_group_id is
 * the group (group-service.ts, membership-patch.ts). Derived from it: Group canonical key casing
 * (scim/normalise/canonical-keys.ts), the displayName length limit, the field-to-attribute name
 * in error messages (scim/errors.ts) and what /Schemas says (scim/scimmy/schemas.ts).
 */
export interface GroupAttributeRow {
  readonly schema: typeof CORE_GROUP;
  /** Canonical spelling. */
  readonly path: string;
  /** Sub-attributes, only accepted for their casing. */
  readonly caseOnly?: readonly string[];
  readonly storage:
    /** The customer group's own field, with the longest value the bridge sends. */
    | { readonly kind: "field"; readonly field: string; readonly maxLength: number }
    /** Computed (id, meta) or handled by dedicated code (members). */
    | { readonly kind: "computed" }
    /** Accepted (for casing) and ignored: a customer group has nowhere to keep it. */
    | { readonly kind: "unsupported" };
  /** What /Schemas says about it (replaces scimmy's generic text). */
  readonly description?: string;
  /** Advertised uniqueness, when the bridge enforces one. */
  readonly uniqueness?: "server";
  /** Sub-attributes the server sets, whatever a client sends (advertised readOnly). */
  readonly readOnlySubs?: readonly string[];
}

const group = (path: string, rest: Omit<GroupAttributeRow, "schema" | "path">): GroupAttributeRow => ({ schema: CORE_GROUP, path, ...rest });

export const GROUP_ATTRIBUTES: readonly GroupAttributeRow[] = [
  group("schemas", { storage: { kind: "computed" } }),
  group("id", { storage: { kind: "computed" } }),
  group("meta", { storage: { kind: "computed" } }),
  group("externalId", { storage: { kind: "unsupported" } }),
  group("displayName", {
    // BigCommerce documents no limit for a customer group name; 255 is the bridge's bound.
    storage: { kind: "field", field: "name", maxLength: 255 },
    description: "The BigCommerce customer group name; unique, matched case-insensitively.",
    // The bridge refuses a second group of the same name (409 uniqueness).
    uniqueness: "server",
  }),
  group("members", {
    caseOnly: ["value", "display", "type", "$ref"],
    storage: { kind: "computed" },
    description: "Users who are members of this group. A customer is in one BigCommerce customer group: a user in several groups is listed by each, and its customer group is the one group precedence picks.",
    // The member's name comes from the customer: a display a client sends is not kept.
    readOnlySubs: ["display"],
  }),
];

function groupRow(path: string): GroupAttributeRow {
  const row = GROUP_ATTRIBUTES.find((r) => r.path === path);
  if (!row) throw new Error(`no group attribute row for ${path}`);
  return row;
}

/** The longest value of a Group attribute kept in a customer group field. */
export function groupMaxLengthOf(path: string): number {
  const { storage } = groupRow(path);
  if (storage.kind !== "field") throw new Error(`${path} is not kept in a customer group field`);
  return storage.maxLength;
}

/** Customer group field -> SCIM Group attribute, for BigCommerce validation errors. */
export const ATTRIBUTE_OF_GROUP_FIELD: Readonly<Record<string, string>> = Object.fromEntries(
  GROUP_ATTRIBUTES.flatMap((r) => (r.storage.kind === "field" ? [[r.storage.field, r.path]] : [])),
);
