import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { Agent, request } from "undici";
import { ScimError } from "../scim-error.js";
import { currentDeadline } from "../bigcommerce/index.js";
import { REQUEST_HARD_LIMIT_MS } from "../config.js";
import { deadlineHeader, FORWARDED_DEADLINE_HEADER } from "./request-deadline.js";

/**
 * Followers pass SCIM requests to the leading replica (src/shared-state/leadership.ts), so that
 * concurrent work meets in one process and every BigCommerce call leaves as full as with a single
 * replica. Runs after authentication and the body parser: a follower refuses what is not
 * allowed in exactly as the leader would, and forwards the parsed, checked body.
 *
 * When forwarding cannot help, the request is served here (every replica is correct on its own,
 * through the shared lock, quota and memories): no leader known, this replica leads, the request
 * was already forwarded once, the leader's address failed several times in a row (a breaker:
 * a wrong REPLICA_URL or a network policy between replicas must not cost every request), or the
 * leader could not be reached at all (connection refused, unknown host, connect timeout, TLS
 * handshake: the request provably never left). A failure after the request may have reached the
 * leader, or an answer that no bridge stamped (a proxy in between answered), is a SCIM 503 with
 * Retry-After: the outcome is unknown, and the IdP's retry of the same request is safe.
 */
export const FORWARDED_HEADER = "x-scim-bridge-forwarded";
/** Was this request passed on by another replica? (It is then served here, counted there.) */
export const isForwarded = (req: { headers: Record<string, unknown> }): boolean => req.headers[FORWARDED_HEADER] !== undefined;

/** Set by the replica that served a forwarded request: the answer is a bridge's, not a proxy's. */
export const SERVED_HEADER = "x-scim-bridge-served";

/** Request headers the leader needs to answer as this replica would. */
const PASSED_REQUEST_HEADERS = ["authorization", "accept", "if-match", "if-none-match", "host", "user-agent"] as const;
/** Response headers that carry meaning back to the IdP (content-type included). */
const PASSED_RESPONSE_HEADERS = ["content-type", "etag", "location", "retry-after", "www-authenticate", "allow", "content-language"] as const;

const NOT_DELIVERED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
/** TLS fails in the handshake, before any byte of the request is sent. */
const isHandshakeFailure = (code: string) => /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/.test(code);

/** Failures in a row after which an address is left alone for a while. */
const BREAKER_FAILURES = 3;
const BREAKER_OPEN_MS = 30_000;

export interface LeaderView {
  leader(): { url: string; self: boolean } | undefined;
}

export interface Forwarder {
  middleware: RequestHandler;
  close(): Promise<void>;
}

class NoBridgeAnswer extends Error {
  constructor(status: number) {
    super(`an answer without the bridge's stamp (HTTP ${status}): something between the replicas answered`);
  }
}

export function forwardToLeader(leadership: LeaderView, logger: Logger, now: () => number = Date.now): Forwarder {
  const agent = new Agent({
    connect: { timeout: 2_000 },
    // Never longer than a request may last; each request waits at most what it has left of that
    // (its deadline travels to the leader, which answers a little before it: request-deadline.ts).
    headersTimeout: REQUEST_HARD_LIMIT_MS,
    bodyTimeout: REQUEST_HARD_LIMIT_MS,
  });
  const breaker = new Map<string, { failures: number; openUntil: number }>();
  const failed = (url: string) => {
    const state = breaker.get(url) ?? { failures: 0, openUntil: 0 };
    state.failures += 1;
    if (state.failures >= BREAKER_FAILURES) {
      if (state.openUntil <= now()) {
        logger.warn({ leader: url, forSeconds: BREAKER_OPEN_MS / 1000 }, "the leading replica failed several times in a row; serving requests here for a while (check REPLICA_URL and the network between replicas)");
      }
      state.openUntil = now() + BREAKER_OPEN_MS;
      state.failures = 0;
    }
    breaker.set(url, state);
  };

  const middleware: RequestHandler = (req, res, next) => {
    if (isForwarded(req)) {
      res.setHeader(SERVED_HEADER, "1");
      return next();
    }
    const leader = leadership.leader();
    if (!leader || leader.self || (breaker.get(leader.url)?.openUntil ?? 0) > now()) return next();
    void forward(req, leader.url, agent, now).then(
      (answer) => {
        breaker.delete(leader.url);
        res.status(answer.status);
        for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
        res.end(answer.body);
      },
      (err: unknown) => {
        failed(leader.url);
        const code = (err as { code?: string }).code;
        if (code !== undefined && (NOT_DELIVERED.has(code) || isHandshakeFailure(code))) {
          req.log?.debug({ code }, "leader unreachable; serving here");
          next();
          return;
        }
        logger.warn({ err: { code, message: (err as Error).message } }, "request forwarded to the leading replica got no answer");
        next(new ScimError(503, null, "The request was passed to another replica, which did not answer; retry it", { "Retry-After": "2" }));
      },
    );
  };
  return { middleware, close: () => agent.close() };
}

async function forward(req: Request, leaderUrl: string, agent: Agent, now: () => number): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const headers: Record<string, string> = { [FORWARDED_HEADER]: "1", "x-forwarded-proto": req.protocol };
  // The leader works within what this request has left, and this replica waits no longer.
  const deadline = currentDeadline();
  if (deadline) headers[FORWARDED_DEADLINE_HEADER] = deadlineHeader(deadline, now());
  for (const name of PASSED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  if (typeof req.id === "string" || typeof req.id === "number") headers["x-request-id"] = String(req.id);
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "DELETE" && req.body !== undefined;
  if (hasBody) headers["content-type"] = "application/scim+json";
  // Only the path and query travel: an absolute request target must not pick the destination.
  const target = new URL(leaderUrl);
  const local = new URL(req.originalUrl, "http://local");
  target.pathname = local.pathname;
  target.search = local.search;
  const answer = await request(target, {
    method: req.method as "GET",
    headers,
    ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
    ...(deadline ? { signal: AbortSignal.timeout(Math.max(1, deadline.hardAt - now())) } : {}),
    dispatcher: agent,
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  if (answer.headers[SERVED_HEADER] !== "1") throw new NoBridgeAnswer(answer.statusCode);
  const passed: Record<string, string> = {};
  for (const name of PASSED_RESPONSE_HEADERS) {
    const value = answer.headers[name];
    if (typeof value === "string") passed[name] = value;
  }
  return { status: answer.statusCode, headers: passed, body };
}
