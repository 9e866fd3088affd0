/** The four headers BigCommerce puts on every response. */
export function rate(left: number, resetMs: number, quota = 10, windowMs = 1000): Record<string, string> {
  return {
    "x-rate-limit-requests-left": String(left),
    "x-rate-limit-time-reset-ms": String(resetMs),
    "x-rate-limit-requests-quota": String(quota),
    "x-rate-limit-time-window-ms": String(windowMs),
  };
}
