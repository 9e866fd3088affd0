import type { Request, RequestHandler } from "express";
import { runWithDeadline, type RequestDeadline } from "../bigcommerce/index.js";
import { REQUEST_HARD_LIMIT_MS } from "../config.js";
import { FORWARDED_DEADLINE_HEADER, isForwarded } from "./replica-hop.js";

/**
 * Sets the SCIM request's one deadline where it enters (bigcommerce/deadline.ts): its work must
 * be over `budgetMs` from now, and its answer, undo included, must leave within the hard limit.
 *
 * A request another replica passed on carries what that replica had left of both (FORWARDED_DEADLINE_HEADER);
 * this replica keeps a little less, so its answer is back before the follower stops waiting.
 * The header can only shorten the deadline, never lengthen it, and it is part of what the hop
 * signs (replica-hop.ts): nobody on the way can cut the time the leader keeps for an undo.
 */
export { FORWARDED_DEADLINE_HEADER };
/** What the hop back to the follower may take. */
export const FORWARD_HOP_MS = 500;

/**
 * When a front before the bridge took the request in (Date.now() ms): with tenants, a request
 * that waited for its tenant's rebuild (src/tenants/tenant.ts) has spent that time of its budget.
 */
const entered = new WeakMap<Request, number>();

export function noteEntry(req: Request, at: number): void {
  entered.set(req, at);
}

export function enterRequestDeadline(budgetMs: number, options: { hardLimitMs?: number; now?: () => number } = {}): RequestHandler {
  const { hardLimitMs = REQUEST_HARD_LIMIT_MS, now = Date.now } = options;
  return (req, _res, next) => {
    const start = entered.get(req) ?? now();
    let at = start + budgetMs;
    let hardAt = start + hardLimitMs;
    const passed = isForwarded(req) ? forwardedDeadline(req) : undefined;
    if (passed) {
      at = Math.min(at, start + passed.budgetLeftMs - FORWARD_HOP_MS);
      hardAt = Math.min(hardAt, start + passed.hardLeftMs - FORWARD_HOP_MS);
    }
    runWithDeadline({ at, hardAt: Math.max(at, hardAt) }, next);
  };
}

/** The header a follower sends: what it has left of the budget and of the hard limit (ms). */
export function deadlineHeader(deadline: RequestDeadline, now: number): string {
  return `${Math.max(0, Math.floor(deadline.at - now))},${Math.max(0, Math.floor(deadline.hardAt - now))}`;
}

function forwardedDeadline(req: Request): { budgetLeftMs: number; hardLeftMs: number } | undefined {
  const value = req.headers[FORWARDED_DEADLINE_HEADER];
  const match = typeof value === "string" ? /^(\d{1,9}),(\d{1,9})$/.exec(value) : null;
  if (!match) return undefined;
  return { budgetLeftMs: Number(match[1]), hardLeftMs: Number(match[2]) };
}
