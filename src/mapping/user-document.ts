import { z } from "zod";
import { invalidValue } from "../scim-error.js";
import { copiedKeysIn, CORE_STORABLE, ENTERPRISE_STORABLE } from "./attribute-table.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "./urns.js";

/**
 * The normalised SCIM User input (after src/scim/normalise), validated. `null` means "clear";
 * an absent key means "leave as it is". Unknown attributes pass through untouched and are
 * ignored by the mapping.
 */
const str = z.string().nullish();
const multiValue = z.looseObject({
  value: z.union([z.string(), z.number()]).transform(String).nullish(),
  type: str,
  primary: z.boolean().nullish(),
  display: str,
});

/** The storable attributes and the copied fields (attribute-table.ts) are plain strings. */
const stringsNamed = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, str])) as Record<K, typeof str>;

export const userDocumentSchema = z.looseObject({
  userName: str,
  externalId: str,
  name: z.looseObject({ givenName: str, familyName: str, formatted: str }).nullish(),
  displayName: str,
  emails: z.array(multiValue).nullish(),
  phoneNumbers: z.array(multiValue).nullish(),
  password: str,
  active: z.boolean().nullish(),
  ...stringsNamed(CORE_STORABLE),
  ...stringsNamed(copiedKeysIn(CORE_USER)),
  [ENTERPRISE_USER]: z
    .looseObject({
      ...stringsNamed(copiedKeysIn(ENTERPRISE_USER)),
      ...stringsNamed(ENTERPRISE_STORABLE),
      manager: z.looseObject({ value: str }).nullish(),
    })
    .nullish(),
  [BIGCOMMERCE_CUSTOMER]: z
    .looseObject({
      customerGroupId: z.number().int().min(0).max(2_147_483_647).nullish(),
      channelIds: z.array(z.number().int().min(1).max(2_147_483_647)).nullish(),
      ...stringsNamed(copiedKeysIn(BIGCOMMERCE_CUSTOMER)),
      acceptsProductReviewAbandonedCartEmails: z.boolean().nullish(),
    })
    .nullish(),
});

export type UserDocument = z.infer<typeof userDocumentSchema>;

export function parseUserDocument(body: Record<string, unknown>): UserDocument {
  const parsed = userDocumentSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join(".").replace(/\.(\d+)\./g, "[$1].");
    throw invalidValue(`Attribute '${path}' has an invalid value: ${issue.message}`);
  }
  return parsed.data;
}
