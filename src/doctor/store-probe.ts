import { request } from "undici";
import { z } from "zod";
import { parseRateHeaders, type RateHeaders } from "../bigcommerce/rate-headers.js";

/** One answer of the store, as the doctor needs it: status, parsed body, rate headers. */
export interface ProbeAnswer {
  status: number;
  body: unknown;
  rate: RateHeaders;
}

/**
 * The doctor's own view of the store: single, raw calls (no retries, no batching), because it
 * must see each status as BigCommerce gives it (401, 403 "Missing scope") and spend only the
 * few calls it makes. Counts its calls, so the report can say what it spent.
 */
export class StoreProbe {
  calls = 0;

  constructor(
    private readonly store: { apiUrl: string; storeHash: string; accessToken: string },
    private readonly timeoutMs = 10_000,
  ) {}

  /** `path` below `/stores/{hash}`, e.g. `/v3/customers?limit=1`. Throws on no answer. */
  async call(method: "GET" | "PUT", path: string, body?: unknown): Promise<ProbeAnswer> {
    this.calls += 1;
    const res = await request(`${this.store.apiUrl}/stores/${this.store.storeHash}${path}`, {
      method,
      headers: {
        "X-Auth-Token": this.store.accessToken,
        Accept: "application/json",
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await res.body.text();
    let parsed: unknown = undefined;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, body: parsed, rate: parseRateHeaders(res.headers) };
  }
}

/** `{ data: T }` envelopes of V3 answers. */
export const v3Data = <T extends z.ZodType>(schema: T) => z.looseObject({ data: schema });
