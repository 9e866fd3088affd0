/**
 * Where the Microsoft SCIM Validator scenarios (validator.ts) check an attribute the bridge
 * deliberately does not keep as sent. Every entry is a product decision with its reason; the
 * runner prints them. Attributes /Schemas does not advertise are not checked at all (the
 * validator with schema discovery only tests discovered attributes) — that rule is general and
 * printed by the runner, not listed here.
 */
export type AttributeOverrideAction =
  /** The attribute is not compared. */
  | "skip"
  /** emails[primary].value is compared with the userName the same request set (userName wins). */
  | "expectUserName";

export interface AttributeOverride {
  resource: "User" | "Group";
  /** Attribute path in schema notation (sub-attributes dotted, no filters). */
  attribute: string;
  action: AttributeOverrideAction;
  reason: string;
}

export const VALIDATOR_ATTRIBUTE_OVERRIDES: AttributeOverride[] = [
  {
    resource: "User",
    attribute: "displayName",
    action: "skip",
    reason:
      'derived as "givenName familyName" from the customer\'s first_name/last_name; values sent are not stored (product decision; BigCommerce has no display name field). /Schemas says so in the description.',
  },
  {
    resource: "User",
    attribute: "name.formatted",
    action: "skip",
    reason: 'derived as "givenName familyName" like displayName (product decision); /Schemas says so in the description.',
  },
  {
    resource: "User",
    attribute: "emails.value",
    action: "expectUserName",
    reason:
      "a customer has exactly one email, which is the userName; when a request sets userName and a different primary email, userName wins (product decision, design.md \"Identity and mapping\"). The validator creates users whose userName and primary email differ.",
  },
  {
    resource: "Group",
    attribute: "externalId",
    action: "skip",
    reason:
      "BigCommerce customer groups have no field to keep an externalId in, so the bridge does not store it (product decision); Entra matches groups by displayName and then by id, so it does not need it back.",
  },
];
