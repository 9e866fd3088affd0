/**
 * The one catalogue of SCIM errors, and the one place where every other failure (BigCommerce
 * client errors, body-parser errors, scimmy errors, bugs) becomes one. Nothing else decides a
 * status code for an error.
 */
export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export class ScimError extends Error {
  override name = "ScimError";
  constructor(
    readonly status: number,
    readonly scimType: ScimType | null,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  toJSON() {
    return {
      schemas: [SCIM_ERROR_SCHEMA],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.message,
    };
  }
}

export const notFound = (what: string) => new ScimError(404, null, `${what} not found`);
export const invalidValue = (detail: string) => new ScimError(400, "invalidValue", detail);
export const invalidFilter = (detail: string) => new ScimError(400, "invalidFilter", detail);
export const invalidSyntax = (detail: string) => new ScimError(400, "invalidSyntax", detail);
export const invalidPath = (detail: string) => new ScimError(400, "invalidPath", detail);
export const noTarget = (detail: string) => new ScimError(400, "noTarget", detail);
export const mutability = (detail: string) => new ScimError(400, "mutability", detail);
export const uniqueness = (detail: string) => new ScimError(409, "uniqueness", detail);

/** BigCommerce customer fields, as the SCIM attribute an administrator would recognise. */
const SCIM_ATTRIBUTE_OF_FIELD: Record<string, string> = {
  email: "userName",
  first_name: "name.givenName",
  last_name: "name.familyName",
  phone: "phoneNumbers",
  company: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
  notes: "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer:notes",
  tax_exempt_category: "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer:taxExemptCategory",
  customer_group_id: "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer:customerGroupId",
  channel_ids: "urn:ietf:params:scim:schemas:extension:bigcommerce:2.0:Customer:channelIds",
  new_password: "password",
  "authentication.new_password": "password",
  password: "password",
  name: "displayName",
};

export function scimAttributeForField(field: string): string {
  const bare = field.replace(/^\d*\./, "");
  return SCIM_ATTRIBUTE_OF_FIELD[bare] ?? bare;
}

interface UpstreamErrorShape {
  code?: unknown;
  status?: unknown;
  retryAfterMs?: unknown;
  fields?: unknown;
  email?: unknown;
  message?: unknown;
}

const retryAfterSeconds = (ms: unknown, fallback: number) =>
  String(Math.max(1, Math.ceil((typeof ms === "number" && Number.isFinite(ms) ? ms : fallback * 1000) / 1000)));

/**
 * Maps anything thrown while serving a request to a ScimError. BigCommerce client errors are
 * recognised by their stable `code`. Their messages are not passed on, because an upstream
 * message could name store internals, with one exception: a field validation message, which
 * describes the client's own value (e.g. a length limit) and helps the administrator fix it.
 */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  const e = (err ?? {}) as UpstreamErrorShape;
  switch (e.code) {
    case "BC_RATE_LIMITED":
      return new ScimError(429, null, "The BigCommerce store's API quota is used up; retry after the indicated delay", {
        "Retry-After": retryAfterSeconds(e.retryAfterMs, 30),
      });
    case "BC_UNAVAILABLE":
      return new ScimError(503, null, "BigCommerce is not answering; retry later", {
        "Retry-After": retryAfterSeconds(e.retryAfterMs, 30),
      });
    case "BC_OUTCOME_UNKNOWN":
      return new ScimError(503, null, "BigCommerce did not confirm the write; retry the request (it is safe to repeat)", {
        "Retry-After": "5",
      });
    case "BC_AUTH":
      return new ScimError(502, null, "BigCommerce rejected the bridge's API credentials; the operator must check the access token and its scopes");
    // State shared by replicas through Redis (src/shared-state/errors.ts): nothing was written.
    case "SHARED_STATE_UNAVAILABLE":
      return new ScimError(503, null, "The bridge's shared state (Redis) is not answering; retry later", {
        "Retry-After": retryAfterSeconds(e.retryAfterMs, 5),
      });
    case "SHARED_LOCK_BUSY":
      return new ScimError(503, null, "Another change to this resource is still in progress; retry later", {
        "Retry-After": retryAfterSeconds(e.retryAfterMs, 5),
      });
    case "SHARED_LEASE_LOST":
      return new ScimError(503, null, "The change was interrupted before completion; retry the request (it is safe to repeat)", {
        "Retry-After": retryAfterSeconds(e.retryAfterMs, 5),
      });
    case "BC_BAD_RESPONSE":
      return new ScimError(502, null, "BigCommerce answered in an unexpected form");
    case "BC_CONFLICT":
      // Duplicate customer emails carry the email; group-name and metafield clashes do not.
      return uniqueness(e.email !== undefined ? "A customer with this userName (email) already exists" : "A resource with this name already exists");
    case "BC_NOT_FOUND":
      return notFound("Resource");
    case "BC_INVALID_QUERY":
      return invalidFilter("The filter value cannot be expressed as a BigCommerce query");
    case "BC_VALIDATION": {
      const fields = Array.isArray(e.fields) ? (e.fields as { field?: unknown; message?: unknown }[]) : [];
      const first = fields[0];
      if (first && typeof first.field === "string") {
        const attr = scimAttributeForField(first.field);
        const msg = typeof first.message === "string" ? `: ${first.message}` : "";
        return invalidValue(`BigCommerce refused the value of '${attr}'${msg}`);
      }
      return invalidValue("BigCommerce refused the request's values");
    }
  }
  const bodyParser = err as { type?: unknown; status?: unknown; limit?: unknown };
  if (bodyParser?.type === "entity.too.large") {
    return new ScimError(413, null, `The request body exceeds the limit of ${String(bodyParser.limit)} bytes`);
  }
  if (bodyParser?.type === "entity.parse.failed") {
    return invalidSyntax("The request body is not valid JSON");
  }
  if (typeof bodyParser?.type === "string" && bodyParser.type.startsWith("encoding.") || bodyParser?.type === "charset.unsupported") {
    return new ScimError(415, null, "Unsupported request body encoding");
  }
  // scimmy's own errors carry status/scimType/message.
  const scimmy = err as { name?: unknown; status?: unknown; scimType?: unknown; message?: unknown };
  if (scimmy?.name === "SCIMError" && typeof scimmy.status === "number") {
    return new ScimError(scimmy.status, (scimmy.scimType as ScimType | undefined) ?? null, String(scimmy.message ?? ""));
  }
  return new ScimError(500, null, "Internal error; the request was not completed");
}
