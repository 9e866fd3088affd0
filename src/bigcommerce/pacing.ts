/**
 * Pacing: spread a window's budget over the window instead of spending it in one burst. At
 * most `burstShare` of the quota goes at once; after that one request per (window / quota), the
 * quota's own rate. An idle bridge still sends at once (the burst is unspent); a busy one waits
 * between calls just long enough for its batch queues (batch-lane.ts) to fill them, so the same
 * work costs fewer calls of the store's shared quota and leaves room for the merchant's other
 * apps all through the window.
 *
 * Pure, so the quota budget (quota-budget.ts) and the shared Redis ledger (redis-quota-ledger.ts
 * mirrors it in Lua, which must stay in step with this function) decide alike.
 */
export interface PacingInput {
  now: number;
  quota: number;
  /** Requests left in the window, as the last answer said. */
  left: number;
  /** Our requests sent and not yet answered (spent, though `left` may not show it yet). */
  inFlight: number;
  /** Requests per window kept for other apps. */
  reserve: number;
  resetAt: number;
  windowMs: number;
  burstShare: number;
}

/**
 * When the next request may go, if not now (undefined: now); with `ahead`, when the request
 * that has that many others queued before it may go (for wait estimates).
 */
export function nextPacedSlot(p: PacingInput, ahead = 0): number | undefined {
  const perWindow = Math.max(1, p.quota - p.reserve);
  const burst = Math.max(1, Math.ceil(perWindow * p.burstShare));
  const slotMs = p.windowMs / perWindow;
  const windowStart = p.resetAt - p.windowMs;
  // Spent in this window by anyone (other apps too), plus ours still in flight.
  const spent = p.quota - p.left + p.inFlight + ahead;
  if (spent < burst + Math.floor(Math.max(0, p.now - windowStart) / slotMs)) return undefined;
  return windowStart + (spent - burst + 1) * slotMs;
}

/**
 * How long the holder of a slot granted now may keep it to fill its call before sending (0: send
 * at once). Only while the quota is what bounds the bridge: the window's burst is spent and no
 * more than a burst's worth of paced slots went unused. The next slot's time depends on what was
 * spent (a held slot counts as spent), not on when this call leaves, so waiting up to half a
 * slot for a fuller call costs the store nothing, and the calls saved are quota. On an idle
 * bridge (burst unspent, or a window mostly unused) a lone request still leaves at once.
 */
export function fillWindowMs(p: PacingInput): number {
  const perWindow = Math.max(1, p.quota - p.reserve);
  const burst = Math.max(1, Math.ceil(perWindow * p.burstShare));
  const slotMs = p.windowMs / perWindow;
  const windowStart = p.resetAt - p.windowMs;
  const spent = p.quota - p.left + p.inFlight;
  const pacedSoFar = Math.floor(Math.max(0, p.now - windowStart) / slotMs);
  return spent >= burst && pacedSoFar <= spent ? Math.floor(slotMs / 2) : 0;
}
