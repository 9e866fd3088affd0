import { ScimError } from "../scim-error.js";

/**
 * A customer is in one BigCommerce customer group; an IdP may put a user in several SCIM groups.
 * The bridge remembers the SCIM groups the IdP pushed for each customer (its memberships) and
 * puts the customer in the one the merchant's `groupPrecedence` ranks first (the effective
 * group). Pure: the callers read and write the customer.
 *
 * Stored sparsely, in the bridge attribute `scim_groups` ("12,7,3": group ids in the order they
 * were joined), and only when the customer group alone cannot say it: a customer in at most one
 * SCIM group has no value (or an empty one) and its memberships are its (effective) customer
 * group, as before memberships were remembered. So most customers cost no attribute write, and
 * the customers whose group lists must be read from attribute values are only those in two or
 * more groups.
 */

/** BigCommerce's limit on an attribute value. */
const VALUE_MAX = 255;

/** Memberships as stored: null when the customer has no value (then its group says it). */
export function parseMemberships(value: string | undefined): number[] | null {
  if (value === undefined || value.trim() === "") return null;
  const out: number[] = [];
  for (const part of value.split(",")) {
    const n = Number(part.trim());
    if (Number.isInteger(n) && n > 0 && !out.includes(n)) out.push(n);
  }
  return out.length > 0 ? out : null;
}

/**
 * A customer's memberships: the stored list, or else its effective group (the customer group,
 * or for a parked customer the group it returns to), none when that is 0.
 */
export function membershipsOf(stored: string | undefined, effectiveGroupId: number): number[] {
  return parseMemberships(stored) ?? (effectiveGroupId > 0 ? [effectiveGroupId] : []);
}

/** The bridge values that say whether a customer is parked, and where it returns to. */
export interface ParkingValues {
  active?: string | undefined;
  groupBeforeDeactivation?: string | undefined;
}

/**
 * Where a customer stands: parked or not, and its effective group. Parked: in the deactivated
 * group (SCIM_DEACTIVATED_GROUP_ID) and deactivated, or a deactivation left half-done (flag not
 * recorded, group remembered) that a later write finishes. The effective group of a parked
 * customer is the group it returns to on reactivation (user-writer.ts), else its customer group.
 */
export function standingOf(customerGroupId: number, values: ParkingValues, parkingGroupId: number | null): { parked: boolean; effective: number } {
  const parked =
    parkingGroupId !== null && customerGroupId === parkingGroupId && (values.active === "false" || Boolean(values.groupBeforeDeactivation));
  return { parked, effective: parked ? Number(values.groupBeforeDeactivation ?? 0) || 0 : customerGroupId };
}

/**
 * The groups a customer is a member of, as the User's `groups`, the Group's member listing and
 * a `groups.value` filter all see them (member-listing.ts): its customer group, the group it
 * returns to when parked, and its remembered memberships. None is 0, and none is a group
 * `isDeleted` knows gone (group-directory.ts): a stored value may outlive its group (deleted in
 * the control panel, or before deletes took members out), which BigCommerce does not tell the
 * customer's values; the customer group itself is BigCommerce's own and always exists.
 */
export function groupsOf(
  customerGroupId: number,
  values: ParkingValues & { groupMemberships?: string | undefined },
  parkingGroupId: number | null,
  isDeleted: (groupId: number) => boolean = () => false,
): number[] {
  const { effective } = standingOf(customerGroupId, values, parkingGroupId);
  const stored = [effective, ...(parseMemberships(values.groupMemberships) ?? [])].filter((g) => g !== customerGroupId && g > 0 && !isDeleted(g));
  return [...new Set([customerGroupId, ...stored])].filter((g) => g > 0);
}

/**
 * The value to store for `memberships` whose effective group is `effective`: "" when the group
 * alone says it (none, or only the effective one). Refused (400) when it does not fit.
 */
export function storedMemberships(memberships: readonly number[], effective: number, customerId: number): string {
  const value = membershipsValue(memberships, effective);
  if (value.length > VALUE_MAX) {
    throw new ScimError(
      400,
      "invalidValue",
      `User ${customerId} would be a member of ${memberships.length} groups; the bridge remembers a user's groups in one ` +
        `customer attribute of at most ${VALUE_MAX} characters (about 40 groups): remove the user from some groups first`,
    );
  }
  return value;
}

/** storedMemberships() without the length check. */
export function membershipsValue(memberships: readonly number[], effective: number): string {
  if (memberships.length === 0 || (memberships.length === 1 && memberships[0] === effective)) return "";
  return memberships.join(",");
}

/**
 * The merchant's `groupPrecedence` (group display names, first wins). A listed group beats an
 * unlisted one; among unlisted groups (and with no list at all) the most recent membership wins.
 * Names compare case-insensitively, as group names are unique that way.
 */
export class GroupPrecedence {
  private readonly rank = new Map<string, number>();

  constructor(names: readonly string[]) {
    names.forEach((name, i) => this.rank.set(name.toLowerCase(), i));
  }

  /** The effective group of these memberships (joined in this order), 0 for none. */
  effective(memberships: readonly number[], nameOf: (groupId: number) => string | undefined): number {
    let best = 0;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const id of memberships) {
      const name = nameOf(id);
      const rank = name === undefined ? Number.POSITIVE_INFINITY : (this.rank.get(name.toLowerCase()) ?? Number.POSITIVE_INFINITY);
      // Among unlisted groups the later (more recent) membership wins.
      if (best === 0 || rank < bestRank || (rank === bestRank && rank === Number.POSITIVE_INFINITY)) {
        best = id;
        bestRank = rank;
      }
    }
    return best;
  }
}
