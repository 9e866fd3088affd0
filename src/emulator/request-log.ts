/**
 * Every API request the emulator answered (or dropped), so tests can count the upstream calls
 * the bridge makes. Admin calls under /__emulator are not logged.
 */
export interface RequestLogEntry {
  method: string;
  /** Full request path without the query string, e.g. "/stores/abc/v3/customers". */
  path: string;
  storeHash: string;
  /** The query as parsed (CSV values stay one string, e.g. {"id:in": "1,2"}). */
  query: Record<string, string>;
  /** The query string exactly as sent, without "?". */
  rawQuery: string;
  /** Status answered, or the status the handler produced before its response was dropped. */
  status: number;
  /** True when a fault rule dropped the connection instead of answering. */
  dropped: boolean;
  /** Epoch ms when the request arrived. */
  at: number;
  /** Milliseconds until the answer (or the drop). */
  durationMs: number;
  /** Items in a batch body (a JSON array), so tests and the benchmark can see how full calls were. */
  items?: number;
}
