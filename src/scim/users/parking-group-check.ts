/** The parking group would hold more than the deactivated: the bridge must not start. */
export class ParkingGroupError extends Error {
  override name = "ParkingGroupError";
}

/**
 * What is wrong with SCIM_DEACTIVATED_GROUP_ID's group, and its fix, or null. BigCommerce puts
 * every new customer in the store's default group: as the parking group, each user the IdP
 * creates would start out among the deactivated (shown in that group, refused at storefront
 * sign-in). Shared by the start-up check (app.ts, from the group listing it reads anyway) and
 * the doctor (src/doctor).
 */
export function parkingGroupProblem(parkingGroupId: number, group: { name: string; isDefault: boolean }): { detail: string; fix: string } | null {
  if (!group.isDefault) return null;
  return {
    detail: `SCIM_DEACTIVATED_GROUP_ID=${parkingGroupId} ('${group.name}') is the store's default customer group, which every new customer joins`,
    fix: "Untick 'All new customers should be added to this group' on it (Customers → Customer groups), or park deactivated customers in a group of their own.",
  };
}
