/**
 * The one place where every failure that is not already a SCIM error (BigCommerce client
 * errors, body-parser errors, scimmy errors, bugs) becomes one. Nothing else decides a status
 * code for an error. The SCIM error type itself lives in the leaf module src/scim-error.ts.
 */
import {
  AuthenticationError,
  ConflictError,
  InvalidQueryError,
  NotFoundError,
  OutcomeUnknownError,
  RateLimitedError,
  RequestBudgetSpentError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
  ValidationFailedError,
} from "../bigcommerce/index.js";
import { invalidFilter, invalidSyntax, invalidValue, notFound, ScimError, uniqueness, type ScimType } from "../scim-error.js";
import { ATTRIBUTE_OF_CUSTOMER_FIELD } from "../mapping/attribute-table.js";
import { ATTRIBUTE_OF_GROUP_FIELD } from "../mapping/group-attribute-table.js";
import { LeaseLostError, LockBusyError, SharedStateUnavailableError } from "../shared-state/errors.js";

export {
  invalidFilter,
  invalidPath,
  invalidSyntax,
  invalidValue,
  mutability,
  noTarget,
  notFound,
  SCIM_ERROR_SCHEMA,
  ScimError,
  uniqueness,
  type ScimType,
} from "../scim-error.js";

/** BigCommerce fields, as the SCIM attribute an administrator would recognise (from the attribute tables). */
const SCIM_ATTRIBUTE_OF_FIELD: Record<string, string> = { ...ATTRIBUTE_OF_CUSTOMER_FIELD, ...ATTRIBUTE_OF_GROUP_FIELD };

export function scimAttributeForField(field: string): string {
  const bare = field.replace(/^\d*\./, "");
  return SCIM_ATTRIBUTE_OF_FIELD[bare] ?? bare;
}

const retryAfterSeconds = (ms: number | undefined, fallback: number) =>
  String(Math.max(1, Math.ceil((typeof ms === "number" && Number.isFinite(ms) ? ms : fallback * 1000) / 1000)));

/**
 * Maps anything thrown while serving a request to a ScimError. BigCommerce client errors are
 * recognised by their class. Their messages are not passed on, because an upstream message
 * could name store internals, with one exception: a field validation message, which describes
 * the client's own value (e.g. a length limit) and helps the administrator fix it.
 */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof RateLimitedError) {
    return new ScimError(429, null, "The BigCommerce store's API quota is used up; retry after the indicated delay", {
      "Retry-After": retryAfterSeconds(err.retryAfterMs, 30),
    });
  }
  if (err instanceof UpstreamUnavailableError) {
    return new ScimError(503, null, "BigCommerce is not answering; retry later", {
      "Retry-After": retryAfterSeconds(err.retryAfterMs, 30),
    });
  }
  if (err instanceof RequestBudgetSpentError) {
    return new ScimError(503, null, "BigCommerce was too slow for the request to finish within its time budget (SCIM_REQUEST_BUDGET_MS); the API quota was not the cause; retry it (it is safe to repeat)", {
      "Retry-After": retryAfterSeconds(err.retryAfterMs, 5),
    });
  }
  if (err instanceof OutcomeUnknownError) {
    return new ScimError(503, null, "BigCommerce did not confirm the write; retry the request (it is safe to repeat)", {
      "Retry-After": "5",
    });
  }
  if (err instanceof AuthenticationError) {
    return new ScimError(502, null, "BigCommerce rejected the bridge's API credentials; the operator must check the access token and its scopes");
  }
  // State shared by replicas through Redis (src/shared-state/errors.ts): nothing was written.
  if (err instanceof SharedStateUnavailableError) {
    return new ScimError(503, null, "The bridge's shared state (Redis) is not answering; retry later", {
      "Retry-After": retryAfterSeconds(err.retryAfterMs, 5),
    });
  }
  if (err instanceof LockBusyError) {
    return new ScimError(503, null, "Another change to this resource is still in progress; retry later", {
      "Retry-After": retryAfterSeconds(err.retryAfterMs, 5),
    });
  }
  if (err instanceof LeaseLostError) {
    return new ScimError(503, null, "The change was interrupted before completion; retry the request (it is safe to repeat)", {
      "Retry-After": retryAfterSeconds(err.retryAfterMs, 5),
    });
  }
  if (err instanceof UnexpectedResponseError) return new ScimError(502, null, "BigCommerce answered in an unexpected form");
  if (err instanceof ConflictError) {
    // Duplicate customer emails carry the email; group-name and metafield clashes do not.
    return uniqueness(err.email !== undefined ? "A customer with this userName (email) already exists" : "A resource with this name already exists");
  }
  if (err instanceof NotFoundError) return notFound("Resource");
  if (err instanceof InvalidQueryError) return invalidFilter("The filter value cannot be expressed as a BigCommerce query");
  if (err instanceof ValidationFailedError) {
    const first = err.fields[0];
    if (first && typeof first.field === "string") {
      const attr = scimAttributeForField(first.field);
      const msg = typeof first.message === "string" ? `: ${first.message}` : "";
      return invalidValue(`BigCommerce refused the value of '${attr}'${msg}`);
    }
    return invalidValue("BigCommerce refused the request's values");
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
