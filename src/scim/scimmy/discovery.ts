import express, { type Request } from "express";
import SCIMMY from "scimmy";
import { STORABLE_ROWS, type StorableAttribute } from "../../mapping/attribute-table.js";
import { ScimError, notFound } from "../errors.js";
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
  /** Largest page a list returns (filter.maxResults). */
  maxResults: number;
  documentationUri?: string;
}

type Json = Record<string, unknown>;
type SchemaDocument = Json & { id: string; attributes: Json[]; meta: Json };

export class Discovery {
  /** Per schema URN: the top-level attributes this app does not store (storable, not chosen). */
  private readonly hidden = new Map<string, Set<string>>();

  constructor(private readonly settings: DiscoverySettings) {
    for (const row of STORABLE_ROWS) {
      if (settings.storedAttributes.includes(row.key)) continue;
      let names = this.hidden.get(row.schema);
      if (!names) this.hidden.set(row.schema, (names = new Set()));
      names.add(row.key);
    }
  }

  schemas(baseUrl: string): SchemaDocument[] {
    return SCIMMY.Schemas.declared().map((definition) => this.schemaDocument(definition, baseUrl));
  }

  schema(baseUrl: string, id: string): SchemaDocument {
    const found = this.schemas(baseUrl).find((s) => s.id === id);
    if (!found) throw notFound(`Schema ${id}`);
    return found;
  }

  resourceTypes(baseUrl: string): Json[] {
    return Object.values(SCIMMY.Resources.declared() as Record<string, { describe(): unknown }>).map(
      (resource) => this.plain(new SCIMMY.Schemas.ResourceType(resource.describe() as never, `${baseUrl}/ResourceTypes`)),
    );
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
    return this.plain(new SCIMMY.Schemas.ServiceProviderConfig(config as never, `${baseUrl}/ServiceProviderConfig`));
  }

  private schemaDocument(definition: { describe(basepath?: string): unknown }, baseUrl: string): SchemaDocument {
    const document = this.plain(definition.describe(`${baseUrl}/Schemas`)) as SchemaDocument;
    const hidden = this.hidden.get(document.id);
    if (hidden) document.attributes = document.attributes.filter((a) => !hidden.has(String(a.name)));
    return document;
  }

  /** scimmy's objects serialise through toJSON; a plain copy can be trimmed without touching them. */
  private plain(value: unknown): Json {
    return JSON.parse(JSON.stringify(value)) as Json;
  }
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
