import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { Agent, request } from "undici";
import { ScimError } from "../scim-error.js";
import { IDP_REQUEST_BUDGET_MS } from "../config.js";

/**
 * Followers pass SCIM requests to the leading replica (src/shared-state/leadership.ts), so that
 * concurrent work meets in one process and every BigCommerce call leaves as full as with a single
 * replica. Runs after authentication and the body parser: a follower refuses what is not
 * allowed in exactly as the leader would, and forwards the parsed, checked body.
 *
 * When forwarding cannot help, the request is served here (every replica is correct on its own,
 * through the shared lock, quota and memories): no leader known, this replica leads, the request
 * was already forwarded once, or the leader could not be reached at all (connection refused,
 * unknown host, connect timeout: the request provably never left). A failure after the request
 * may have reached the leader answers 503 with Retry-After: the outcome is unknown, and the IdP's
 * retry of the same request is safe.
 */
export const FORWARDED_HEADER = "x-scim-bridge-forwarded";

/** Request headers the leader needs to answer as this replica would. */
const PASSED_REQUEST_HEADERS = ["authorization", "accept", "if-match", "if-none-match", "host", "user-agent"] as const;
/** Response headers that carry meaning back to the IdP (content-type included). */
const PASSED_RESPONSE_HEADERS = ["content-type", "etag", "location", "retry-after", "www-authenticate", "content-language"] as const;

const NOT_DELIVERED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

export interface LeaderView {
  leader(): { url: string; self: boolean } | undefined;
}

export function forwardToLeader(leadership: LeaderView, logger: Logger): RequestHandler {
  const agent = new Agent({
    connect: { timeout: 2_000 },
    // The leader answers within the IdPs' budget (its own bounds); a little more for the hop.
    headersTimeout: IDP_REQUEST_BUDGET_MS + 5_000,
    bodyTimeout: IDP_REQUEST_BUDGET_MS + 5_000,
  });
  return (req, res, next) => {
    const leader = leadership.leader();
    if (!leader || leader.self || req.headers[FORWARDED_HEADER] !== undefined) return next();
    void forward(req, leader.url, agent).then(
      (answer) => {
        res.status(answer.status);
        for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
        res.end(answer.body);
      },
      (err: unknown) => {
        const code = (err as { code?: string }).code;
        if (code !== undefined && NOT_DELIVERED.has(code)) {
          req.log?.debug({ code }, "leader unreachable; serving here");
          next();
          return;
        }
        logger.warn({ err: { code, message: (err as Error).message } }, "request forwarded to the leading replica got no answer");
        next(new ScimError(503, null, "The request was passed to another replica, which did not answer; retry it", { "Retry-After": "2" }));
      },
    );
  };
}

async function forward(req: Request, leaderUrl: string, agent: Agent): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const headers: Record<string, string> = { [FORWARDED_HEADER]: "1" };
  for (const name of PASSED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  if (typeof req.id === "string" || typeof req.id === "number") headers["x-request-id"] = String(req.id);
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "DELETE" && req.body !== undefined;
  if (hasBody) headers["content-type"] = "application/scim+json";
  const answer = await request(`${leaderUrl}${req.originalUrl}`, {
    method: req.method as "GET",
    headers,
    ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
    dispatcher: agent,
  });
  const body = Buffer.from(await answer.body.arrayBuffer());
  const passed: Record<string, string> = {};
  for (const name of PASSED_RESPONSE_HEADERS) {
    const value = answer.headers[name];
    if (typeof value === "string") passed[name] = value;
  }
  return { status: answer.statusCode, headers: passed, body };
}
