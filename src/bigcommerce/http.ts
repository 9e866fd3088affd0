/**
 * One HTTP exchange with BigCommerce over a keep-alive undici Pool: JSON in, JSON out,
 * `X-Auth-Token`, timeouts. No retries, pacing or error mapping here (see transport.ts):
 * this layer only turns a request into `{status, headers, body}` or throws the network error.
 */
import { Pool } from "undici";
import type { HttpMethod } from "./retry-policy.js";
import type { ResponseHeaders } from "./rate-headers.js";
import { buildQuery, type QueryInput } from "./query.js";
import { InvalidQueryError } from "./errors.js";

export { buildQuery, type QueryInput } from "./query.js";

export interface HttpOptions {
  /** `https://api.bigcommerce.com`, or the emulator's URL. */
  apiUrl: string;
  storeHash: string;
  accessToken: string;
  connectTimeoutMs: number;
  /** Bound on one whole exchange (headers and body). */
  requestTimeoutMs: number;
  connections?: number;
  keepAliveTimeoutMs?: number;
}

export interface HttpRequest {
  method: HttpMethod;
  api: "v2" | "v3";
  /** Path below /v2 or /v3, e.g. `/customers`. */
  path: string;
  query?: QueryInput;
  body?: unknown;
  signal?: AbortSignal;
  /** A shorter bound on this exchange than requestTimeoutMs (the SCIM request's time left). */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: ResponseHeaders;
  /** Parsed JSON; undefined for an empty body. */
  body: unknown;
  /** The body was not empty and not JSON. */
  invalidJson: boolean;
}

/** Thrown when our own per-request timeout fires; `code` is what the retry policy keys on. */
export class RequestTimeoutError extends Error {
  readonly code = "BC_REQUEST_TIMEOUT";
  constructor(ms: number) {
    super(`BigCommerce did not answer within ${ms} ms`);
    this.name = "RequestTimeoutError";
  }
}

/**
 * Only canonical paths leave this client: `/segment/segment...` of letters, digits, `_`, `-`,
 * `.` (no empty, `.` or `..` segments, no percent-encoding, no `;`, `?`, `#` or
 * backslash). Every endpoint module builds such paths; anything else could be read by a
 * server or proxy as a different path (`//customers`, `/./customers`, `/%63ustomers`,
 * `/x/../customers`) and slip past the checks below, so it is refused outright.
 */
const CANONICAL_SEGMENT = /^[A-Za-z0-9_\-.]+$/;

export function canonicalPath(path: string): string | null {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return null;
  if (!trimmed.startsWith("/")) return null;
  const segments = trimmed.slice(1).split("/");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === ".." || !CANONICAL_SEGMENT.test(segment)) return null;
  }
  // Case-insensitive comparison below: a server may route `/Customers` like `/customers`.
  return `/${segments.join("/")}`.toLowerCase();
}

/**
 * Last line of defence, below every endpoint module: V2 `/customers` (whose DELETE without a
 * filter deletes every customer of the store) is never called, and a customers DELETE never
 * leaves without a non-empty `id:in`. The path is checked in canonical form (see above).
 */
export function assertSafeRequest(request: Pick<HttpRequest, "method" | "api" | "path" | "query">): void {
  const path = canonicalPath(request.path);
  if (path === null) {
    throw new InvalidQueryError("refusing a request path that is not in canonical form");
  }
  if (request.api === "v2" && /^\/customers(\/|$)/.test(path)) {
    throw new InvalidQueryError("the V2 customers API is never called by this client");
  }
  if (request.method === "DELETE" && request.api === "v3" && path === "/customers") {
    const ids = request.query?.["id:in"];
    if (!Array.isArray(ids) || ids.length === 0) {
      throw new InvalidQueryError("refusing DELETE /v3/customers without a non-empty id:in");
    }
  }
}

export class HttpClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(private readonly options: HttpOptions) {
    const url = new URL(options.apiUrl);
    this.basePath = `${url.pathname.replace(/\/+$/, "")}/stores/${encodeURIComponent(options.storeHash)}`;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 16,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
    });
  }

  /** The path as sent, for logs (no host, no token). */
  pathFor(request: Pick<HttpRequest, "api" | "path" | "query">): string {
    return `${this.basePath}/${request.api}${request.path}${buildQuery(request.query)}`;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    assertSafeRequest(request);
    const path = this.pathFor(request); // throws InvalidQueryError before any I/O
    const headers: Record<string, string> = {
      "x-auth-token": this.options.accessToken,
      accept: "application/json",
    };
    let payload: string | undefined;
    if (request.body !== undefined) {
      payload = JSON.stringify(request.body);
      headers["content-type"] = "application/json";
    }

    const timeoutMs = Math.max(1, Math.min(this.options.requestTimeoutMs, request.timeoutMs ?? Number.POSITIVE_INFINITY));
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    try {
      const response = await this.pool.request({
        path,
        method: request.method,
        headers,
        body: payload,
        signal,
      });
      const text = await response.body.text();
      let body: unknown;
      let invalidJson = false;
      if (text.trim().length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          invalidJson = true;
        }
      }
      return { status: response.statusCode, headers: response.headers as ResponseHeaders, body, invalidJson };
    } catch (error) {
      if (timeout.signal.aborted && !request.signal?.aborted) throw new RequestTimeoutError(timeoutMs);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
