import { createHash } from "node:crypto";
import type { Customer } from "../bigcommerce/api.js";
import { CORE_STORABLE, ENTERPRISE_STORABLE, type StorableAttribute } from "./attribute-table.js";
import { readBridgeAttributes, type AttributeCatalog } from "./bridge-attributes.js";
import { copiedValuesIn } from "./copied-fields.js";
import type { AddressMapping } from "./customer-addresses.js";
import { placeCustomValues, type CustomMapping } from "./custom-mapping.js";
import { groupsOf } from "./group-memberships.js";
import { recallChannels } from "./remembered-channels.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "./urns.js";

export type ScimUser = Record<string, unknown> & { id: string; userName: string };

export interface UserViewContext {
  catalog: AttributeCatalog;
  storedAttributes: readonly StorableAttribute[];
  /** The mapping file's entries; none when absent. */
  mapping?: CustomMapping;
  /** Display name of a customer group, when known (cached; never an upstream call here). */
  groupName(groupId: number): string | undefined;
  /** Whether a group a stored value names is known deleted (cached; never an upstream call here): not shown in `groups`. */
  groupDeleted?: (groupId: number) => boolean;
  /** Base URL of the SCIM endpoint (absolute or path), without a trailing slash. */
  baseUrl: string;
  /** SCIM addresses, when the mapping file maps them (customer-addresses.ts). */
  addresses?: AddressMapping;
  /** SCIM_DEACTIVATED_GROUP_ID: a deactivated customer parked there is a member of the group it returns to. */
  parkingGroupId: number | null;
}


/**
 * `meta.version` is a strong validator of the representation itself: any change a client could
 * see changes it, including values kept in customer attributes (which do not bump the
 * customer's own date_modified).
 */
export function versionOf(user: Record<string, unknown>): string {
  const { meta: _meta, ...rest } = user;
  return `"${createHash("sha256").update(JSON.stringify(rest)).digest("base64url").slice(0, 22)}"`;
}

/**
 * The one rule for SCIM `active` (BigCommerce has no such flag): a customer is active unless the
 * bridge recorded `scim_active` = "false". The User representation and storefront sign-in both
 * use it, so a user the IdP deactivated can never be signed in.
 */
export function isActiveCustomer(customer: Customer, catalog: AttributeCatalog): boolean {
  return readBridgeAttributes(customer, catalog).values.active !== "false";
}

const iso = (bcDate: string) => {
  const t = Date.parse(bcDate);
  return Number.isNaN(t) ? bcDate : new Date(t).toISOString().replace(/\.000Z$/, "Z");
};

/**
 * A locked-out customer sits on the lockout channel; SCIM shows the channels it had (and gets
 * back on reactivation): the lockout is the bridge's business, not the IdP's.
 */
function channelsShown(customer: Customer, remembered: string | undefined): number[] | null {
  const before = recallChannels(remembered);
  return before === undefined ? customer.channel_ids : before;
}

/** A canonical SCIM User id of this bridge: a customer id, a positive int32 without leading zeros. */
const isUserId = (value: string): boolean => /^[1-9]\d{0,9}$/.test(value) && Number(value) <= 2_147_483_647;

/** BigCommerce customer -> SCIM User. Pure: everything it needs is in its arguments. */
export function userFromCustomer(customer: Customer, view: UserViewContext): ScimUser {
  const bridge = readBridgeAttributes(customer, view.catalog);
  const v = bridge.values;
  const id = String(customer.id);
  const displayName = `${customer.first_name} ${customer.last_name}`.trim();

  const user: Record<string, unknown> = {
    schemas: [CORE_USER],
    id,
    ...(v.externalId ? { externalId: v.externalId } : {}),
    userName: customer.email,
    name: { givenName: customer.first_name, familyName: customer.last_name, formatted: displayName },
    displayName,
    emails: [{ value: customer.email, type: "work", primary: true }],
    ...(customer.phone ? { phoneNumbers: [{ value: customer.phone, type: v.phoneType || "work", primary: true }] } : {}),
    active: isActiveCustomer(customer, view.catalog),
  };
  const addresses = view.addresses?.representation(customer, v.addresses);
  if (addresses) user.addresses = addresses;

  for (const key of CORE_STORABLE) {
    if (view.storedAttributes.includes(key) && v[key]) user[key] = v[key];
  }
  Object.assign(user, copiedValuesIn(customer, CORE_USER));

  // The customer group, then the other SCIM groups the IdP put the user in, the group a parked
  // user returns to among them (group-memberships.ts), none that no longer exists.
  const groupIds = groupsOf(customer.customer_group_id, v, view.parkingGroupId, view.groupDeleted);
  if (groupIds.length > 0) {
    user.groups = groupIds.map((groupId) => {
      const display = view.groupName(groupId);
      return { value: String(groupId), $ref: `${view.baseUrl}/Groups/${groupId}`, ...(display !== undefined ? { display } : {}), type: "direct" };
    });
  }

  const enterprise: Record<string, unknown> = copiedValuesIn(customer, ENTERPRISE_USER);
  for (const key of ENTERPRISE_STORABLE) {
    if (view.storedAttributes.includes(key) && v[key]) enterprise[key] = v[key];
  }
  if (view.storedAttributes.includes("manager") && v.manager) {
    // $ref only for what can be a user of this bridge (a customer id); any other value is shown as sent.
    enterprise.manager = isUserId(v.manager) ? { value: v.manager, $ref: `${view.baseUrl}/Users/${v.manager}` } : { value: v.manager };
  }
  if (Object.keys(enterprise).length > 0) {
    user[ENTERPRISE_USER] = enterprise;
    (user.schemas as string[]).push(ENTERPRISE_USER);
  }

  if (view.mapping && view.mapping.entries.length > 0) {
    placeCustomValues(user, view.mapping, v, customer.form_fields);
    const schemas = user.schemas as string[];
    for (const urn of [ENTERPRISE_USER, ...view.mapping.extensionUrns]) if (user[urn] !== undefined && !schemas.includes(urn)) schemas.push(urn);
  }

  user[BIGCOMMERCE_CUSTOMER] = {
    customerGroupId: customer.customer_group_id,
    channelIds: channelsShown(customer, v.channelsBeforeDeactivation),
    originChannelId: customer.origin_channel_id ?? 1,
    ...copiedValuesIn(customer, BIGCOMMERCE_CUSTOMER),
    acceptsProductReviewAbandonedCartEmails: customer.accepts_product_review_abandoned_cart_emails ?? false,
  };
  (user.schemas as string[]).push(BIGCOMMERCE_CUSTOMER);

  const lastModified =
    bridge.lastModified && bridge.lastModified > customer.date_modified ? bridge.lastModified : customer.date_modified;
  const meta = {
    resourceType: "User",
    created: iso(customer.date_created),
    lastModified: iso(lastModified),
    location: `${view.baseUrl}/Users/${id}`,
    version: "",
  };
  user.meta = meta;
  meta.version = versionOf(user);
  return user as ScimUser;
}
