import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { Agent, request } from "undici";
import { ScimError } from "../scim-error.js";
import { currentDeadline } from "../bigcommerce/index.js";
import { REQUEST_HARD_LIMIT_MS } from "../config.js";
import { deadlineHeader, FORWARDED_DEADLINE_HEADER } from "./request-deadline.js";
import { hopBodyText, isForwarded, passedHeaders, type ReplicaHops, SERVED_HEADER } from "./replica-hop.js";

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
 * leader, or an answer that does not carry the leader's signature (a proxy in between answered,
 * or something that is no replica of this store), is a SCIM 503 with Retry-After: the outcome is
 * unknown, and the IdP's retry of the same request is safe.
 *
 * The hop carries its own credential (src/http/replica-hop.ts), never the IdP's bearer token.
 */
/** Request headers the leader needs to answer as this replica would (never Authorization: the hop has its own credential). */
const PASSED_REQUEST_HEADERS = ["accept", "if-match", "if-none-match", "host", "user-agent"] as const;

const NOT_DELIVERED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
/** TLS fails in the handshake, before any byte of the request is sent. */
const isHandshakeFailure = (code: string) => /^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_)/.test(code);

/** Failures in a row after which an address is left alone for a while. */
const BREAKER_FAILURES = 3;
const BREAKER_OPEN_MS = 30_000;

export interface LeaderView {
  /** The leader as far as a current, genuine claim says; `id` is its replica id (the hop is bound to it). */
  leader(): { url: string; self: boolean; id: string } | undefined;
}

export interface Forwarder {
  middleware: RequestHandler;
  close(): Promise<void>;
}

class NoBridgeAnswer extends Error {
  constructor(status: number) {
    super(`an answer without a valid replica signature (HTTP ${status}): something that is not the leading replica answered`);
  }
}

export interface ForwardOptions {
  /** Signs the hops and checks the answers. */
  hops: ReplicaHops;
  /** PEM certificates that an https REPLICA_URL is verified against (REPLICA_CA); absent = the system's. */
  ca?: string;
  now?: () => number;
}

export function forwardToLeader(leadership: LeaderView, logger: Logger, options: ForwardOptions): Forwarder {
  const now = options.now ?? Date.now;
  const agent = new Agent({
    connect: { timeout: 2_000, ...(options.ca !== undefined ? { ca: options.ca } : {}) },
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
    if (isForwarded(req)) return next();
    const leader = leadership.leader();
    if (!leader || leader.self || (breaker.get(leader.url)?.openUntil ?? 0) > now()) return next();
    void forward(req, leader, agent, options.hops, now).then(
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
        if (err instanceof NoBridgeAnswer) {
          logger.warn({ leader: leader.url, err: { message: err.message } }, "the answer to a request forwarded to the leading replica failed its signature check; not passed on");
          next(new ScimError(503, null, "The request was passed to another replica whose answer could not be authenticated; retry it", { "Retry-After": "2" }));
          return;
        }
        logger.warn({ err: { code, message: (err as Error).message } }, "request forwarded to the leading replica got no answer");
        next(new ScimError(503, null, "The request was passed to another replica, which did not answer; retry it", { "Retry-After": "2" }));
      },
    );
  };
  return { middleware, close: () => agent.close() };
}

async function forward(
  req: Request,
  leader: { url: string; id: string },
  agent: Agent,
  hops: ReplicaHops,
  now: () => number,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const headers: Record<string, string> = {};
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
  const bodyText = hasBody ? hopBodyText(req.body) : "";
  // Only the path and query travel: an absolute request target must not pick the destination.
  const target = new URL(leader.url);
  const local = new URL(req.originalUrl, "http://local");
  target.pathname = local.pathname;
  target.search = local.search;
  headers["x-forwarded-proto"] = req.protocol;
  const signed = hops.sign(
    {
      to: leader.id,
      method: req.method,
      target: `${target.pathname}${target.search}`,
      host: headers.host ?? "",
      ifMatch: headers["if-match"] ?? "",
      ifNoneMatch: headers["if-none-match"] ?? "",
      proto: req.protocol,
      deadline: headers[FORWARDED_DEADLINE_HEADER] ?? "",
      client: req.scimClient ?? "unknown",
    },
    bodyText,
  );
  const answer = await request(target, {
    method: req.method as "GET",
    headers: { ...headers, ...signed.headers },
    ...(hasBody ? { body: bodyText } : {}),
    ...(deadline ? { signal: AbortSignal.timeout(Math.max(1, deadline.hardAt - now())) } : {}),
    dispatcher: agent,
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  const passed = passedHeaders((name) => answer.headers[name]);
  if (!hops.verifyAnswer(signed.nonce, answer.statusCode, passed, body, answer.headers[SERVED_HEADER])) throw new NoBridgeAnswer(answer.statusCode);
  return { status: answer.statusCode, headers: passed, body };
}
