import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryInput, type RetryPolicy } from "../../src/bigcommerce/retry-policy.js";

const policy: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 3,
  max429Attempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  jitterRatio: 0.5,
  bare429BaseDelayMs: 1000,
  bare429MaxDelayMs: 8000,
};

type Row = { name: string; input: RetryInput; expected: ReturnType<typeof decideRetry> };

const rows: Row[] = [
  // Idempotent reads and deletes: 5xx and network errors, capped exponential backoff.
  { name: "GET 503, attempt 1", input: { method: "GET", attempt: 1, status: 503, random: 1 }, expected: { retry: true, delayMs: 100, reason: "server-error" } },
  { name: "GET 500, attempt 2", input: { method: "GET", attempt: 2, status: 500, random: 1 }, expected: { retry: true, delayMs: 200, reason: "server-error" } },
  { name: "GET 502 last attempt", input: { method: "GET", attempt: 3, status: 502, random: 1 }, expected: { retry: false, reason: "attempts-exhausted" } },
  { name: "DELETE 504", input: { method: "DELETE", attempt: 1, status: 504, random: 1 }, expected: { retry: true, delayMs: 100, reason: "server-error" } },
  { name: "GET jitter draw 0 halves the delay", input: { method: "GET", attempt: 2, status: 503, random: 0 }, expected: { retry: true, delayMs: 100, reason: "server-error" } },
  { name: "GET ECONNRESET", input: { method: "GET", attempt: 1, errorCode: "ECONNRESET", random: 1 }, expected: { retry: true, delayMs: 100, reason: "network-error" } },
  { name: "GET headers timeout", input: { method: "GET", attempt: 1, errorCode: "UND_ERR_HEADERS_TIMEOUT", random: 1 }, expected: { retry: true, delayMs: 100, reason: "network-error" } },
  { name: "GET our own timeout", input: { method: "GET", attempt: 1, errorCode: "BC_REQUEST_TIMEOUT", random: 1 }, expected: { retry: true, delayMs: 100, reason: "network-error" } },
  { name: "GET idempotent:false opts out", input: { method: "GET", attempt: 1, status: 503, idempotent: false }, expected: { retry: false, reason: "unsafe-to-resend" } },
  // A 429 with requests left and no X-Retry-After: a per-endpoint concurrency cap, short backoff.
  { name: "PUT 429 concurrency cap, attempt 1", input: { method: "PUT", attempt: 1, status: 429, headers: { "x-rate-limit-requests-left": "120", "x-rate-limit-time-reset-ms": "25000" } }, expected: { retry: true, delayMs: 1000, reason: "concurrency-limited" } },
  { name: "PUT 429 concurrency cap, attempt 3 (capped)", input: { method: "PUT", attempt: 3, status: 429, headers: { "x-rate-limit-requests-left": "120", "x-rate-limit-time-reset-ms": "25000" } }, expected: { retry: true, delayMs: 4000, reason: "concurrency-limited" } },
  { name: "PUT 429 with nothing left is the quota", input: { method: "PUT", attempt: 1, status: 429, headers: { "x-rate-limit-requests-left": "0", "x-rate-limit-time-reset-ms": "25000" } }, expected: { retry: true, delayMs: 25000, reason: "rate-limited" } },
  // Writes are never resent blindly.
  { name: "POST 500", input: { method: "POST", attempt: 1, status: 500 }, expected: { retry: false, reason: "unsafe-to-resend" } },
  { name: "PUT 503", input: { method: "PUT", attempt: 1, status: 503 }, expected: { retry: false, reason: "unsafe-to-resend" } },
  { name: "POST socket closed", input: { method: "POST", attempt: 1, errorCode: "UND_ERR_SOCKET" }, expected: { retry: false, reason: "unsafe-to-resend" } },
  { name: "PUT timeout", input: { method: "PUT", attempt: 1, errorCode: "BC_REQUEST_TIMEOUT" }, expected: { retry: false, reason: "unsafe-to-resend" } },
  { name: "POST idempotent:true cannot opt in", input: { method: "POST", attempt: 1, status: 503, idempotent: true }, expected: { retry: false, reason: "unsafe-to-resend" } },
  // ...unless the request provably never left.
  { name: "POST connection refused", input: { method: "POST", attempt: 1, errorCode: "ECONNREFUSED", random: 1 }, expected: { retry: true, delayMs: 100, reason: "not-sent" } },
  { name: "PUT connect timeout", input: { method: "PUT", attempt: 2, errorCode: "UND_ERR_CONNECT_TIMEOUT", random: 1 }, expected: { retry: true, delayMs: 200, reason: "not-sent" } },
  // 429: every method, wait per the rate headers.
  { name: "POST 429 longer Retry-After", input: { method: "POST", attempt: 1, status: 429, headers: { "x-retry-after": "3", "x-rate-limit-time-reset-ms": "1200" } }, expected: { retry: true, delayMs: 3000, reason: "rate-limited" } },
  { name: "PUT 429 longer Reset-Ms", input: { method: "PUT", attempt: 1, status: 429, headers: { "x-retry-after": "1", "x-rate-limit-time-reset-ms": "2500" } }, expected: { retry: true, delayMs: 2500, reason: "rate-limited" } },
  { name: "GET 429 without headers", input: { method: "GET", attempt: 1, status: 429, headers: {} }, expected: { retry: true, delayMs: 1000, reason: "rate-limited" } },
  { name: "GET 429 without headers, 3rd", input: { method: "GET", attempt: 3, status: 429 }, expected: { retry: true, delayMs: 4000, reason: "rate-limited" } },
  { name: "GET 429 persists", input: { method: "GET", attempt: 4, status: 429 }, expected: { retry: false, reason: "attempts-exhausted" } },
  // Not retryable at all.
  { name: "GET 501", input: { method: "GET", attempt: 1, status: 501 }, expected: { retry: false, reason: "not-retryable" } },
  { name: "GET 422", input: { method: "GET", attempt: 1, status: 422 }, expected: { retry: false, reason: "not-retryable" } },
  { name: "DELETE 404", input: { method: "DELETE", attempt: 1, status: 404 }, expected: { retry: false, reason: "not-retryable" } },
  { name: "GET 401", input: { method: "GET", attempt: 1, status: 401 }, expected: { retry: false, reason: "not-retryable" } },
  { name: "GET unknown error code", input: { method: "GET", attempt: 1, errorCode: "WEIRD" }, expected: { retry: false, reason: "not-retryable" } },
];

describe("decideRetry", () => {
  it.each(rows)("$name", ({ input, expected }) => {
    expect(decideRetry(policy, input)).toEqual(expected);
  });

  it("caps the backoff", () => {
    const decision = decideRetry({ ...policy, maxAttempts: 20 }, { method: "GET", attempt: 10, status: 503, random: 1 });
    expect(decision).toEqual({ retry: true, delayMs: 1000, reason: "server-error" });
  });

  it("does not retry network errors when the policy says so", () => {
    expect(decideRetry({ ...policy, retryNetworkErrors: false }, { method: "GET", attempt: 1, errorCode: "ECONNRESET" })).toEqual({
      retry: false,
      reason: "not-retryable",
    });
  });
});
