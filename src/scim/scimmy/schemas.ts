import SCIMMY from "scimmy";
import { USER_ATTRIBUTES } from "../../mapping/attribute-table.js";
import { GROUP_ATTRIBUTES } from "../../mapping/group-attribute-table.js";
import { BIGCOMMERCE_CUSTOMER, CORE_USER, ENTERPRISE_USER } from "../../mapping/urns.js";

const { Attribute, SchemaDefinition } = SCIMMY.Types;

/**
 * The bridge's own extension. scimmy's definitions are process-global; what each app advertises
 * is built per app by discovery.ts.
 */
export const BigCommerceCustomerExtension = new SchemaDefinition(
  "BigCommerceCustomer",
  BIGCOMMERCE_CUSTOMER,
  "BigCommerce customer fields without a SCIM core equivalent",
  USER_ATTRIBUTES.filter((row) => row.schema === BIGCOMMERCE_CUSTOMER).map(
    (row) =>
      new Attribute(row.type as "string", row.path, {
        ...(row.multiValued ? { multiValued: true } : {}),
        ...(row.mutability === "derived" ? { mutable: false } : {}),
        ...(row.description !== undefined ? { description: row.description } : {}),
      }),
  ),
);

let prepared = false;

function describe(definition: InstanceType<typeof SchemaDefinition>, path: string, description: string | undefined, readOnly: boolean): void {
  const attribute = definition.attribute(path) as unknown as { config: Record<string, unknown> };
  if (description !== undefined) attribute.config.description = description;
  // Derived attributes: clients may send them (they are ignored, RFC 7643 §7) but cannot set them.
  if (readOnly) attribute.config.mutable = false;
}

function setConfig(definition: InstanceType<typeof SchemaDefinition>, path: string, config: Record<string, unknown>): void {
  const attribute = definition.attribute(path) as unknown as { config: Record<string, unknown> };
  Object.assign(attribute.config, config);
}

/**
 * Prepares scimmy's process-global definitions from the attribute tables, once: User attributes
 * the bridge never stores are removed, the others (and the Group's) get the tables' descriptions. Every attribute any
 * app may store stays, so the definitions are the same whatever an app's configuration; what one
 * app advertises is trimmed per app (discovery.ts).
 */
export function prepareSchemas(): void {
  if (prepared) return;
  prepared = true;
  const definitions = new Map([
    [CORE_USER, SCIMMY.Schemas.User.definition],
    [ENTERPRISE_USER, SCIMMY.Schemas.EnterpriseUser.definition],
  ]);
  for (const [urn, definition] of definitions) {
    const rows = USER_ATTRIBUTES.filter((r) => r.schema === urn);
    definition.truncate(...rows.filter((r) => r.storage.kind === "unsupported").map((r) => r.path));
    for (const row of rows) {
      if (row.storage.kind === "unsupported") continue;
      if (row.description !== undefined || row.mutability === "derived") describe(definition, row.path, row.description, row.mutability === "derived");
    }
  }

  const group = SCIMMY.Schemas.Group.definition;
  for (const row of GROUP_ATTRIBUTES) {
    if (row.description !== undefined) describe(group, row.path, row.description, false);
    if (row.uniqueness !== undefined) setConfig(group, row.path, { uniqueness: row.uniqueness });
    for (const sub of row.readOnlySubs ?? []) setConfig(group, `${row.path}.${sub}`, { mutable: false });
  }
}
