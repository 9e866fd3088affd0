import express, { type Request } from "express";
import SCIMMY from "scimmy";
import { STORABLE_ROWS, type StorableAttribute } from "../../mapping/attribute-table.js";
import type { CustomEntry, CustomMapping } from "../../mapping/custom-mapping.js";
import { CORE_USER } from "../../mapping/urns.js";
import { ScimError, notFound } from "../errors.js";
import { MAX_GROUP_MEMBERS_PER_REQUEST } from "../groups/group-limits.js";
import { listResponse } from "../list-response.js";

/**
 * Discovery (/Schemas, /ResourceTypes, /ServiceProviderConfig) for ONE bridge app, built from
 * the attribute table, that app's SCIM_STORED_ATTRIBUTES and the request's base URL. scimmy's
 * schema definitions are process-global and hold every attribute any app may store
 * (schemas.ts); each app advertises only what it stores, so several apps (stores) in one process
 * each tell their own truth, and meta.location always names the app that answered.
 */
export interface DiscoverySettings {
  storedAttributes: readonly StorableAttribute[];
  /** The mapping file's entries: their attributes and extension schemas are advertised. */
  mapping?: CustomMapping;
  /** Largest page a list returns (filter.maxResults). */
  maxResults: number;
  documentationUri?: string;
  /** SCIM address types the mapping file maps (customer-addresses.ts); none = addresses not advertised. */
  addressTypes?: readonly string[];
}

type Json = Record<string, unknown>;
type SchemaDocument = Json & { id: string; attributes: Json[]; meta: Json };

export class Discovery {
  /** Per schema URN: the top-level attributes this app does not store (storable, not chosen). */
  private readonly hidden = new Map<string, Set<string>>();

  constructor(private readonly settings: DiscoverySettings) {
    const mapped = new Set((settings.mapping?.entries ?? []).map((e) => `${e.schema}:${e.path}`));
    for (const row of STORABLE_ROWS) {
      if (settings.storedAttributes.includes(row.key) || mapped.has(`${row.schema}:${row.key}`)) continue;
      let names = this.hidden.get(row.schema);
      if (!names) this.hidden.set(row.schema, (names = new Set()));
      names.add(row.key);
    }
    if ((settings.addressTypes ?? []).length === 0) {
      let names = this.hidden.get(CORE_USER);
      if (!names) this.hidden.set(CORE_USER, (names = new Set()));
      names.add("addresses");
    }
  }

  schemas(baseUrl: string): SchemaDocument[] {
    const declared = SCIMMY.Schemas.declared().map((definition) => this.schemaDocument(definition, baseUrl));
    return [...declared, ...(this.settings.mapping?.extensionUrns ?? []).map((urn) => this.extensionDocument(urn, baseUrl))];
  }

  schema(baseUrl: string, id: string): SchemaDocument {
    const found = this.schemas(baseUrl).find((s) => s.id === id);
    if (!found) throw notFound(`Schema ${id}`);
    return found;
  }

  resourceTypes(baseUrl: string): Json[] {
    const extensions = this.settings.mapping?.extensionUrns ?? [];
    return Object.values(SCIMMY.Resources.declared() as Record<string, { describe(): unknown }>).map((resource) => {
      const type = this.plain(new SCIMMY.Schemas.ResourceType(resource.describe() as never, `${baseUrl}/ResourceTypes`));
      if (type.schema === CORE_USER && extensions.length > 0) {
        type.schemaExtensions = [...((type.schemaExtensions as Json[] | undefined) ?? []), ...extensions.map((schema) => ({ schema, required: false }))];
      }
      return type;
    });
  }

  resourceType(baseUrl: string, id: string): Json {
    const found = this.resourceTypes(baseUrl).find((r) => r.id === id);
    if (!found) throw notFound(`ResourceType ${id}`);
    return found;
  }

  /**
   * The authentication schemes are the router's (process-wide, the same for every app); the
   * capabilities are this app's. It tells the truth: no bulk; ETags (meta.version, see
   * http/preconditions.ts); passwords can be set with PUT/PATCH.
   */
  serviceProviderConfig(baseUrl: string): Json {
    const shared = SCIMMY.Config.get() as Json;
    const config = {
      ...shared,
      ...(this.settings.documentationUri ? { documentationUri: this.settings.documentationUri } : {}),
      patch: { supported: true },
      bulk: { ...(shared.bulk as Json), supported: false },
      filter: { supported: true, maxResults: this.settings.maxResults },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
    };
    const document = this.plain(new SCIMMY.Schemas.ServiceProviderConfig(config as never, `${baseUrl}/ServiceProviderConfig`));
    // Not an RFC 7643 attribute: the bound on Group requests (group-limits.ts), next to patch support.
    document.patch = { ...(document.patch as Json), maxGroupMembersPerRequest: MAX_GROUP_MEMBERS_PER_REQUEST };
    return document;
  }

  private schemaDocument(definition: { describe(basepath?: string): unknown }, baseUrl: string): SchemaDocument {
    const document = this.plain(definition.describe(`${baseUrl}/Schemas`)) as SchemaDocument;
    const hidden = this.hidden.get(document.id);
    if (hidden) document.attributes = document.attributes.filter((a) => !hidden.has(String(a.name)));
    if (document.id === CORE_USER) this.describeAddresses(document);
    for (const entry of this.settings.mapping?.entries ?? []) if (entry.schema === document.id) addAttribute(document.attributes, entry);
    return document;
  }

  /** Mapped addresses: which types are kept, and the sub-attributes the bridge derives. */
  private describeAddresses(document: SchemaDocument): void {
    const types = this.settings.addressTypes ?? [];
    const addresses = document.attributes.find((a) => a.name === "addresses");
    if (!addresses || types.length === 0) return;
    addresses.description =
      `BigCommerce customer addresses of the types ${types.join(", ")} (one each), owned by the bridge; ` +
      "the shopper's own addresses are neither shown nor changed. country: ISO 3166-1 alpha-2; region: the full name (known codes are translated).";
    for (const sub of (addresses.subAttributes ?? []) as Json[]) {
      if (sub.name === "type") sub.canonicalValues = [...types];
      if (sub.name === "formatted" || sub.name === "primary") {
        sub.mutability = "readOnly";
        sub.description = sub.name === "formatted" ? "Derived from the other sub-attributes." : "Derived: the first address shown is primary.";
      }
    }
  }

  /** A schema only the mapping file defines: exactly the attributes it maps. */
  private extensionDocument(urn: string, baseUrl: string): SchemaDocument {
    const attributes: Json[] = [];
    for (const entry of this.settings.mapping?.entries ?? []) if (entry.schema === urn) addAttribute(attributes, entry);
    // urn:…:extension:Contoso:2.0:User -> "Contoso"; any other URN by its last part.
    const parts = urn.split(":");
    const name = /:extension:[^:]+:2\.0:/i.test(urn) ? parts[parts.length - 3]! : parts[parts.length - 1]!;
    return {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: urn,
      name,
      description: "Attributes this bridge maps from its mapping file (SCIM_MAPPING_FILE)",
      attributes,
      meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${urn}` },
    };
  }

  /** scimmy's objects serialise through toJSON; a plain copy can be trimmed without touching them. */
  private plain(value: unknown): Json {
    return JSON.parse(JSON.stringify(value)) as Json;
  }
}

const SCIM_TYPE = { string: "string", number: "decimal", date: "dateTime" } as const;

/** What /Schemas says of a mapped attribute: where BigCommerce keeps it, and its type. */
function describeEntry(entry: CustomEntry): Json {
  const target = entry.target;
  const type = target.kind === "customerAttribute" ? SCIM_TYPE[target.type] : "string";
  const where =
    target.kind === "customerAttribute"
      ? `Kept in the BigCommerce customer attribute '${target.name}' (type ${target.type}${target.type === "string" ? ", at most 255 characters" : target.type === "date" ? ": the date is kept, not the time" : ""}).`
      : `Kept in the customer form field '${target.name}'.`;
  return {
    name: entry.path.split(".").pop()!,
    type,
    multiValued: false,
    description: where,
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
  };
}

/** Adds (or replaces) a mapped attribute in a schema's attribute list, as a sub-attribute for "parent.sub". */
function addAttribute(attributes: Json[], entry: CustomEntry): void {
  const [parent, sub] = entry.path.split(".") as [string, string | undefined];
  const same = (a: Json, name: string) => String(a.name).toLowerCase() === name.toLowerCase();
  if (sub === undefined) {
    const at = attributes.findIndex((a) => same(a, parent));
    if (at >= 0) attributes[at] = { ...describeEntry(entry), name: attributes[at]!.name };
    else attributes.push(describeEntry(entry));
    return;
  }
  let holder = attributes.find((a) => same(a, parent));
  if (!holder) {
    holder = { name: parent, type: "complex", multiValued: false, description: "Mapped by the mapping file.", required: false, subAttributes: [], mutability: "readWrite", returned: "default", uniqueness: "none" };
    attributes.push(holder);
  }
  const subs = ((holder.subAttributes as Json[] | undefined) ??= []);
  const at = subs.findIndex((a) => same(a, sub));
  if (at >= 0) subs[at] = { ...describeEntry(entry), name: subs[at]!.name };
  else subs.push(describeEntry(entry));
}

const refuseFilter = (req: Request, what: string) => {
  if (req.query.filter !== undefined) throw new ScimError(403, null, `${what} does not support retrieval by filter`);
};

/** Answers the discovery endpoints before scimmy's router (which would read its global registry). */
export function discoveryRouter(discovery: Discovery, baseUrlOf: (req: Request) => string): express.Router {
  const router = express.Router();
  // Discovery lists are never paged: every item in one page, and itemsPerPage says how many.
  const list = (resources: Json[]) => listResponse(resources, resources.length, 1);
  router.get("/Schemas", (req, res) => {
    refuseFilter(req, "Schema");
    res.send(list(discovery.schemas(baseUrlOf(req))));
  });
  router.get("/Schemas/:id", (req, res) => {
    refuseFilter(req, "Schema");
    res.send(discovery.schema(baseUrlOf(req), String(req.params.id)));
  });
  router.get("/ResourceTypes", (req, res) => {
    refuseFilter(req, "ResourceType");
    res.send(list(discovery.resourceTypes(baseUrlOf(req))));
  });
  router.get("/ResourceTypes/:id", (req, res) => {
    refuseFilter(req, "ResourceType");
    res.send(discovery.resourceType(baseUrlOf(req), String(req.params.id)));
  });
  router.get("/ServiceProviderConfig", (req, res) => {
    res.send(discovery.serviceProviderConfig(baseUrlOf(req)));
  });
  return router;
}
