/**
 * Turns a BigCommerce error response into one of our typed errors, in one place. V3 bodies are
 * `{status, title, type, errors: {"<index>.<field>": message}}`; V2 bodies are arrays
 * `[{status, message}]`; a few endpoints use `{title, detail}`. Keys like `"0.first_name"` keep
 * the batch index so the batcher can give each item its own error.
 */
import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  RateLimitedError,
  UnexpectedResponseError,
  UpstreamUnavailableError,
  ValidationFailedError,
  type BigCommerceError,
  type FieldError,
} from "./errors.js";
import { v2ErrorSchema, v3ErrorSchema } from "./schemas.js";

export interface ParsedErrorBody {
  title: string | undefined;
  fields: FieldError[];
}

/** `"0.first_name"` → index 0, field first_name; `".customer_create"` → batch-level; `"id"` → as is. */
export function parseErrorKey(key: string): { index?: number; field: string } {
  const indexed = /^(\d+)\.(.+)$/.exec(key);
  if (indexed) return { index: Number(indexed[1]), field: indexed[2] as string };
  if (key.startsWith(".")) return { field: key.slice(1) };
  return { field: key };
}

function messageOf(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** V2 messages name the field in quotes: "The field 'password' is invalid." */
function fieldFromV2Message(message: string): string {
  return /field '([^']+)'/i.exec(message)?.[1] ?? "";
}

export function parseErrorBody(body: unknown): ParsedErrorBody {
  const v2 = v2ErrorSchema.safeParse(body);
  if (v2.success) {
    const fields = v2.data.map((e) => {
      const message = e.message ?? e.title ?? "";
      return { field: fieldFromV2Message(message), message };
    });
    return { title: fields[0]?.message, fields };
  }
  const v3 = v3ErrorSchema.safeParse(body);
  if (!v3.success) return { title: undefined, fields: [] };
  const fields: FieldError[] = [];
  const errors = v3.data.errors;
  if (errors && !Array.isArray(errors)) {
    for (const [key, value] of Object.entries(errors)) {
      fields.push({ ...parseErrorKey(key), message: messageOf(value) });
    }
  } else if (Array.isArray(errors)) {
    // V2's `{errors: [{status, title}]}` wrapper (ErrorRequest) and other list forms.
    for (const entry of errors) {
      const e = entry as { title?: unknown; message?: unknown };
      const message = messageOf(e.message ?? e.title ?? entry);
      fields.push({ field: fieldFromV2Message(message), message });
    }
  }
  return { title: v3.data.title ?? v3.data.detail ?? fields[0]?.message, fields };
}

export interface ErrorContext {
  method: string;
  /** Path without query string, for the message. */
  path: string;
  /** For 429s and 503s: how long the caller should wait. */
  retryAfterMs?: number;
}

/** Maps a non-2xx status (after the retries the policy allowed) to a typed error. */
export function errorFromResponse(status: number, body: unknown, context: ErrorContext): BigCommerceError {
  const parsed = parseErrorBody(body);
  const title = parsed.title ?? `BigCommerce answered ${status}`;
  const where = `${context.method} ${context.path}`;
  if (status === 400 || status === 413 || status === 422) {
    return new ValidationFailedError(status, title, parsed.fields);
  }
  if (status === 409) return new ConflictError(`${title} (${where})`, { status });
  if (status === 401 || status === 403) {
    return new AuthenticationError(
      status,
      `BigCommerce refused the access token (${status}) on ${where}: check the token and its OAuth scopes`,
    );
  }
  if (status === 404) return new NotFoundError(`${title} (${where})`);
  if (status === 429) return new RateLimitedError(context.retryAfterMs ?? 1000, `BigCommerce kept answering 429 on ${where}`);
  if (status >= 500) {
    const details: { status: number; retryAfterMs?: number } = { status };
    if (context.retryAfterMs !== undefined) details.retryAfterMs = context.retryAfterMs;
    return new UpstreamUnavailableError(`BigCommerce answered ${status} on ${where}: ${title}`, details);
  }
  return new UnexpectedResponseError(`unexpected status ${status} on ${where}: ${title}`, { status });
}
