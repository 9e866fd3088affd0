import SCIMMY from "scimmy";
import type { Json } from "../json.js";
import { userFromCustomer, type UserViewContext } from "../../mapping/customer-to-user.js";
import { BIGCOMMERCE_CUSTOMER, ENTERPRISE_USER } from "../../mapping/urns.js";
import { listResponse } from "../list-response.js";
import type { RequestContext } from "../context.js";
import { toScimError } from "../errors.js";
import { filterOfRequest } from "../filter/request-filter.js";
import { projectResource } from "../projection.js";
import { listParams, projectionParams } from "./query-params.js";

/**
 * The bridge's User and Group resources. scimmy-routers routes every request to these methods;
 * they are overridden whole (instead of scimmy's ingress/egress handlers) because scimmy's own
 * read/patch re-slice server-side pages, answer PATCH with 204, and turn upstream errors into
 * 404s (shared notes, scimmy.md §0). Errors are mapped once, in toScimError, and kept on the
 * request so that statuses scimmy cannot serialise (429, 502, 503) are still answered as SCIM.
 */

function paramsOf(id: unknown, config: unknown): Json {
  const params = typeof id === "string" || config !== undefined ? config : id;
  return (params && typeof params === "object" ? params : {}) as Json;
}

/**
 * What scimmy's Resource constructor gets: the request's parameters without `filter`, and without
 * non-empty `attributes`/`excludedAttributes`, which scimmy would parse with its own filter parser
 * (it rejects legal nesting and escapes, and misreads an inner `or`). The bridge parses the filter
 * once itself (filter/request-filter.ts) and projects with its own parser (projection.ts).
 */
const PARSED_BY_THE_BRIDGE = ["filter", "attributes", "excludedAttributes"];

function withoutFilter(id: unknown, config: unknown): [string, object] {
  const strip = (params: unknown) => {
    if (!params || typeof params !== "object" || Array.isArray(params)) return params;
    const entries = Object.entries(params as Json);
    // An empty projection list is left for scimmy to refuse, as before.
    return Object.fromEntries(entries.filter(([k, v]) => !PARSED_BY_THE_BRIDGE.includes(k) || (k !== "filter" && !(typeof v === "string" && v.trim() !== ""))));
  };
  const idFirst = typeof id === "string" || config !== undefined;
  return (idFirst ? [id, strip(config)] : [strip(id), config]) as [string, object];
}

async function guarded<T>(ctx: RequestContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const scimError = toScimError(err);
    if (scimError.status >= 500) ctx.log.error({ err }, "request failed");
    (ctx.req as unknown as { scimError?: unknown }).scimError = scimError;
    throw scimError;
  }
}


const USER_URNS = [ENTERPRISE_USER, BIGCOMMERCE_CUSTOMER];

export class BridgeUser extends SCIMMY.Resources.User {
  readonly params: Json;

  constructor(id?: unknown, config?: unknown) {
    super(...withoutFilter(id, config));
    this.params = paramsOf(id, config);
  }

  /** `attributes`/`excludedAttributes`, knowing the app's extension schemas (its mapping file's too). */
  private project(user: Json, view: UserViewContext): Json {
    const p = projectionParams(this.params);
    return projectResource(user, p.attributes, p.excludedAttributes, [...USER_URNS, ...(view.mapping?.extensionUrns ?? [])]);
  }

  override async read<T = unknown>(context?: T): Promise<never> {
    const ctx = context as unknown as RequestContext;
    return guarded(ctx, async () => {
      const { reader } = ctx.services.users;
      const view = ctx.services.userView(ctx.baseUrl);
      if (this.id) {
        return this.project(userFromCustomer(await reader.getCustomer(this.id), view), view);
      }
      const p = listParams(this.params, ctx.services.pageSize, (text) => filterOfRequest(ctx.req, text));
      const result = await reader.list(p, view);
      return listResponse(result.resources.map((u) => this.project(u, view)), result.totalResults, p.startIndex);
    }) as Promise<never>;
  }

  override async write<T = unknown>(body: unknown, context?: T): Promise<never> {
    const ctx = context as unknown as RequestContext;
    return guarded(ctx, async () => {
      const view = ctx.services.userView(ctx.baseUrl);
      const { writer } = ctx.services.users;
      const user = this.id ? await writer.replace(this.id, body, view) : await writer.create(body, view);
      if (!this.id) ctx.req.res?.location(String(user.meta && (user.meta as Json).location));
      return this.project(user, view);
    }) as Promise<never>;
  }

  override async patch<T = unknown>(body: never, context?: T): Promise<never> {
    const ctx = context as unknown as RequestContext;
    return guarded(ctx, async () => {
      const view = ctx.services.userView(ctx.baseUrl);
      return this.project(await ctx.services.users.writer.patch(this.id!, body, view), view);
    }) as Promise<never>;
  }

  override async dispose<T = unknown>(context?: T): Promise<void> {
    const ctx = context as unknown as RequestContext;
    await guarded(ctx, () => ctx.services.users.writer.remove(this.id!, ctx.services.userView(ctx.baseUrl)));
  }
}

export class BridgeGroup extends SCIMMY.Resources.Group {
  readonly params: Json;

  constructor(id?: unknown, config?: unknown) {
    super(...withoutFilter(id, config));
    this.params = paramsOf(id, config);
  }

  private projection() {
    const p = projectionParams(this.params);
    // Members cost BigCommerce calls: load them only when they will be returned.
    const wantsMembers = p.attributes
      ? /(^|,)\s*members\b/i.test(p.attributes)
      : !(p.excludedAttributes && /(^|,)\s*members\s*(,|$)/i.test(p.excludedAttributes));
    return { wantsMembers, project: (g: Json) => projectResource(g, p.attributes, p.excludedAttributes, []) };
  }

  override async read<T = unknown>(context?: T): Promise<never> {
    const ctx = context as unknown as RequestContext;
    return guarded(ctx, async () => {
      const { wantsMembers, project } = this.projection();
      const groups = ctx.services.groups;
      if (this.id) return project(await groups.get(this.id, { members: wantsMembers, baseUrl: ctx.baseUrl }));
      const p = listParams(this.params, ctx.services.pageSize, (text) => filterOfRequest(ctx.req, text));
      const result = await groups.list(p, { members: wantsMembers, baseUrl: ctx.baseUrl });
      return listResponse(result.resources.map(project), result.totalResults, p.startIndex);
    }) as Promise<never>;
  }

  override async write<T = unknown>(body: unknown, context?: T): Promise<never> {
    const ctx = context as unknown as RequestContext;
    return guarded(ctx, async () => {
      const { project } = this.projection();
      const groups = ctx.services.groups;
      const group = this.id ? await groups.replace(this.id, body, ctx.baseUrl) : await groups.create(body, ctx.baseUrl);
      if (!this.id) ctx.req.res?.location(String((group.meta as Json).location));
      return project(group);
    }) as Promise<never>;
  }

  /** Group PATCH answers 204: IdPs do not need the member list back (Entra recommends 204). */
  override async patch<T = unknown>(body: never, context?: T): Promise<never> {
    const ctx = context as unknown as RequestContext;
    return guarded(ctx, async () => {
      await ctx.services.groups.patch(this.id!, body);
      return undefined;
    }) as Promise<never>;
  }

  override async dispose<T = unknown>(context?: T): Promise<void> {
    const ctx = context as unknown as RequestContext;
    await guarded(ctx, () => ctx.services.groups.remove(this.id!));
  }
}
