import { ScimError } from "../errors.js";

/**
 * The most member values one Group request (POST, PUT or PATCH) may carry, and the most
 * customers it may move. Chosen so that the worst case fits the IdP's request window at the
 * store's default quota (150 calls per 30 s, 5 a second) with room to spare: a customer that
 * joins costs 1/50 of an `id:in` read for the checks, 1/50 again under its lock when that read
 * is no longer fresh, 1/10 of a customer PUT batch and, when it is in other groups too, 1/10
 * of an attribute-value batch: at most 0.24 calls, so 500 members are about 120 calls or 24 s,
 * under half of a 55 s request budget, leaving the rest to the IdP's other requests. Larger
 * changes are refused before anything is read: an IdP splits them, or retries forever a
 * request that can never finish. Advertised in /ServiceProviderConfig (`patch`).
 */
export const MAX_GROUP_MEMBERS_PER_REQUEST = 500;

export function tooManyMembers(count: number, what: string): ScimError {
  return new ScimError(
    413,
    null,
    `This request ${what} ${count} group members; the bridge takes at most ${MAX_GROUP_MEMBERS_PER_REQUEST} per request ` +
      `(see patch.maxGroupMembersPerRequest in /ServiceProviderConfig) so that it finishes within the store's API quota. ` +
      "Send the change as several PATCH requests of at most that many members each.",
  );
}

/** A group DELETE that would first have to move more members than one request moves. */
export function tooManyToDelete(count: number): ScimError {
  return new ScimError(
    413,
    null,
    `Deleting this group would first move ${count} members who are in other groups too or deactivated (their fallback ` +
      `group, remembered memberships or return group change); the bridge moves at most ${MAX_GROUP_MEMBERS_PER_REQUEST} ` +
      "per request. Nothing was changed: remove members from the group with PATCH (at most that many per request), then delete it.",
  );
}
