import SCIMMY from "scimmy";
import { CORE_STORABLE, ENTERPRISE_STORABLE, type StorableAttribute } from "../../config.js";
import { BIGCOMMERCE_CUSTOMER } from "../../mapping/urns.js";

const { Attribute, SchemaDefinition } = SCIMMY.Types;

/**
 * Discovery (/Schemas) advertises exactly what the bridge stores, so validators that read the
 * schema test only that. scimmy's definitions are process-global; they are trimmed once.
 */
export const BigCommerceCustomerExtension = new SchemaDefinition(
  "BigCommerceCustomer",
  BIGCOMMERCE_CUSTOMER,
  "BigCommerce customer fields without a SCIM core equivalent",
  [
    new Attribute("integer", "customerGroupId", {
      description:
        "BigCommerce customer group (0 = none). A customer belongs to at most one group: joining a group (SCIM Group membership) leaves the previous one.",
    }),
    new Attribute("integer", "channelIds", {
      multiValued: true,
      description: "Storefront channels the customer may sign in to; null or absent means every channel that allows global logins. Never empty. For an inactive user with a lockout channel configured: the channels reactivation restores (until then it can sign in nowhere).",
    }),
    new Attribute("integer", "originChannelId", { mutable: false, description: "Channel where the customer was created (read-only)." }),
    new Attribute("string", "notes", { description: "Merchant notes on the customer." }),
    new Attribute("string", "taxExemptCategory", { description: "Tax exempt category code (at most 255 characters)." }),
    new Attribute("boolean", "acceptsProductReviewAbandonedCartEmails", {
      description: "Whether the customer receives product review and abandoned cart emails.",
    }),
  ],
);


let trimmedFor: string | null = null;

function describe(definition: InstanceType<typeof SchemaDefinition>, path: string, description: string, readOnly = false): void {
  try {
    const attribute = definition.attribute(path) as unknown as { config: Record<string, unknown> };
    attribute.config.description = description;
    // Derived attributes: clients may send them (they are ignored, RFC 7643 §7) but cannot set them.
    if (readOnly) attribute.config.mutable = false;
  } catch {
    // descriptions are cosmetic; an attribute trimmed away has none to set
  }
}

function setConfig(definition: InstanceType<typeof SchemaDefinition>, path: string, config: Record<string, unknown>): void {
  const attribute = definition.attribute(path) as unknown as { config: Record<string, unknown> };
  Object.assign(attribute.config, config);
}

export function trimSchemas(stored: readonly StorableAttribute[]): void {
  if (trimmedFor !== null) return; // process-global: the first configuration wins
  trimmedFor = [...stored].sort().join(",");
  const user = SCIMMY.Schemas.User.definition;
  const drop = [
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    "name.middleName",
    "name.honorificPrefix",
    "name.honorificSuffix",
    // Never stored: the one email and the one phone number have no display text.
    "emails.display",
    "phoneNumbers.display",
    ...CORE_STORABLE.filter((a) => !stored.includes(a)),
  ];
  user.truncate(...drop);
  describe(user, "userName", "The customer's email address: unique per store, matched case-insensitively, at most 250 characters.");
  describe(user, "displayName", "Derived from name: \"givenName familyName\". Values sent are not stored.", true);
  describe(user, "name.formatted", "Derived: \"givenName familyName\".", true);
  describe(user, "phoneNumbers", "One number is stored (the BigCommerce customer phone): the primary, else the work, else the first one sent.");
  describe(user, "emails", "The customer's single email; the same value as userName.");
  // Always returned as the one work, primary email (and primary phone): not settable.
  describe(user, "emails.type", "Always \"work\": the customer has one email.", true);
  describe(user, "emails.primary", "Always true: the customer has one email.", true);
  describe(user, "phoneNumbers.primary", "Always true: one number is stored.", true);
  describe(user, "phoneNumbers.type", "The type of the stored number (work when none was sent).");
  describe(user, "active", "false keeps the customer and its orders but blocks storefront sign-in.");
  describe(user, "groups", "The customer's BigCommerce customer group (at most one). Read-only: manage it through /Groups.");
  describe(user, "password", "Write-only: sets the customer's storefront password. Never returned.");

  const enterprise = SCIMMY.Schemas.EnterpriseUser.definition;
  enterprise.truncate(...[...ENTERPRISE_STORABLE, "manager" as const].filter((a) => !stored.includes(a)));
  describe(enterprise, "organization", "The customer's company (at most 255 characters).");
  // Only the manager's id is kept; its $ref is derived from it.
  describe(enterprise, "manager.$ref", "Derived from manager.value: the manager's /Users URL.", true);

  const group = SCIMMY.Schemas.Group.definition;
  describe(group, "displayName", "The BigCommerce customer group name; unique, matched case-insensitively.");
  // The bridge refuses a second group of the same name (409 uniqueness).
  setConfig(group, "displayName", { uniqueness: "server" });
  describe(
    group,
    "members",
    "Customers in this customer group. A customer belongs to at most one group: adding a member moves it out of its previous group.",
  );
}
