import type { Config } from "../config.js";
import { scimNameOf, STORABLE_ROWS, USER_ATTRIBUTES } from "../mapping/attribute-table.js";
import { BRIDGE_ATTRIBUTE_NAMES } from "../mapping/bridge-attributes.js";

/** What to type into one identity provider's provisioning settings. */
export interface IdpGuide {
  idp: "Okta" | "Microsoft Entra ID" | "OneLogin";
  settings: { label: string; value: string }[];
  /** How to add an attribute the built-in mapping does not have. */
  customAttribute: string;
}

export interface Guide {
  baseUrl: string;
  /** The SCIM attributes the bridge keeps, and where. */
  mapped: { scim: string; bigcommerce: string }[];
  idps: IdpGuide[];
}

const EXAMPLE_EXTENSION = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

/** The values an administrator enters in Okta, Entra ID and OneLogin for this configuration. */
export function idpGuide(config: Config, /** A tenant's prefix, "/t/<id>" (src/tenants); "" for one store. */ basePath = ""): Guide {
  const baseUrl = `${config.publicBaseUrl ?? `http://localhost:${config.port}`}${basePath}/scim/v2`;
  const token = tokenHint(config, basePath);
  const bearer = `Bearer ${token}`;
  const mappingStep = `add {"scim": "${EXAMPLE_EXTENSION}:costCenter", "customerAttribute": "Cost center"} to the file in SCIM_MAPPING_FILE and restart the bridge`;
  return {
    baseUrl,
    mapped: mappedAttributes(config),
    idps: [
      {
        idp: "Okta",
        settings: [
          { label: "SCIM connector base URL", value: baseUrl },
          { label: "Unique identifier field for users", value: "userName" },
          { label: "Supported provisioning actions", value: "Push New Users, Push Profile Updates, Push Groups (Import New Users and Profile Updates if wanted)" },
          { label: "Authentication Mode", value: "HTTP Header" },
          { label: "Authorization", value: bearer },
        ],
        customAttribute: `First ${mappingStep}; then in Okta: Directory → Profile Editor → the app's profile → Add Attribute, external name costCenter, external namespace ${EXAMPLE_EXTENSION}, and map it under Provisioning → To App.`,
      },
      {
        idp: "Microsoft Entra ID",
        settings: [
          { label: "Tenant URL", value: `${baseUrl}?aadOptscim062020` },
          { label: "Secret Token", value: `${token} (without "Bearer")` },
          { label: "Matching attribute", value: "userName ← userPrincipalName (or mail: the customer's email)" },
        ],
        customAttribute: `First ${mappingStep}; then in Entra: Provisioning → Mappings → Provision Microsoft Entra ID Users → Show advanced options → Edit attribute list → add ${EXAMPLE_EXTENSION}:costCenter (type String), and map a source attribute to it.`,
      },
      {
        idp: "OneLogin",
        settings: [
          { label: "SCIM Base URL", value: baseUrl },
          { label: "SCIM Bearer Token", value: token },
          { label: "SCIM JSON Template", value: '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{$user.email}","name":{"givenName":"{$user.firstname}","familyName":"{$user.lastname}"},"emails":[{"value":"{$user.email}","type":"work","primary":true}]}' },
        ],
        customAttribute: `First ${mappingStep}; then add "${EXAMPLE_EXTENSION}": {"costCenter": "{$user.custom_attribute_costcenter}"} to the SCIM JSON Template (and its URN to "schemas").`,
      },
    ],
  };
}

/** Every SCIM attribute the bridge stores with this configuration, and where. */
export function mappedAttributes(config: Config): { scim: string; bigcommerce: string }[] {
  const stored = new Set<string>(config.storedAttributes);
  const storableName = new Map<string, string>(STORABLE_ROWS.map((r) => [r.attribute, r.key]));
  const out: { scim: string; bigcommerce: string }[] = [];
  for (const row of USER_ATTRIBUTES) {
    const { storage } = row;
    if (storage.kind === "field" && row.mutability !== "derived") out.push({ scim: scimNameOf(row), bigcommerce: `customer ${storage.field}` });
    else if (storage.kind === "bridge") out.push({ scim: scimNameOf(row), bigcommerce: `customer attribute ${storage.name}` });
    else if (storage.kind === "storable" && stored.has(storableName.get(storage.name) ?? "")) out.push({ scim: scimNameOf(row), bigcommerce: `customer attribute ${storage.name}` });
  }
  out.push({ scim: "active", bigcommerce: "customer attribute scim_active, password lock (and lockout channel / group when configured)" });
  for (const entry of config.mapping.attributes) {
    out.push({ scim: entry.scim, bigcommerce: entry.customerAttribute !== undefined ? `customer attribute ${entry.customerAttribute}` : `form field ${entry.formField}` });
  }
  for (const type of config.mapping.addresses.types) {
    out.push({ scim: `addresses[type eq "${type}"]`, bigcommerce: `a customer address the bridge owns (its id kept in customer attribute ${BRIDGE_ATTRIBUTE_NAMES.addresses})` });
  }
  return out;
}

/** Which token to enter, shown only enough to tell which one it is (the operator has it). */
function tokenHint(config: Config, basePath: string): string {
  const token = config.bearerTokens[0];
  if (basePath !== "") return "<one of the tenant's SCIM tokens (scimTokens in the tenants file)>";
  if (token !== undefined) return `${token.slice(0, 4)}… (the first token of SCIM_BEARER_TOKENS)`;
  if (config.jwt !== null) return `<a JWT your provider issues${config.jwt.audience ? ` for audience ${config.jwt.audience}` : ""}>`;
  return "<the token the bridge prints at start (emulator mode), or set SCIM_BEARER_TOKENS>";
}
