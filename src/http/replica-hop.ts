import { createHash, createHmac, randomBytes } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { sameString } from "../constant-time.js";
import { ScimError } from "../scim-error.js";

/**
 * The credential of one hop between replicas (src/http/forward-to-leader.ts). A follower never
 * passes the IdP's `Authorization` on: it signs what it forwards with a key every replica of the
 * store derives from the replica secret (REPLICA_SECRET, else the store's access token), and the
 * leader answers only a hop that is genuine, fresh, meant for it and not seen before. The leader
 * signs its answer the same way, bound to the request, and the follower passes on only an answer
 * that verifies.
 *
 * Request: HMAC-SHA256 over the method, path and query, a digest of the body as sent (JSON of
 * the checked body, which the leader parses and serialises back to the same text), the headers
 * that change the answer (Host, If-Match, If-None-Match, the scheme, the deadline the follower
 * passes on: request-deadline.ts), the original client's
 * identity (who authenticated at the follower, for audit lines), the leader's replica id, a
 * timestamp and a random nonce. Fresh = within HOP_WINDOW_MS of the leader's clock (replicas
 * keep their clocks in sync, see docs/replicas.md); each nonce is accepted once.
 *
 * Answer: HMAC over the request's nonce, the status, the headers passed back and a digest of the
 * body, in `x-scim-bridge-served`.
 */
export const HOP_HEADER = "x-scim-bridge-hop";
export const SERVED_HEADER = "x-scim-bridge-served";
const HOP_TO_HEADER = "x-scim-bridge-hop-to";
const CLIENT_HEADER = "x-scim-bridge-client";
const BODY_HEADER = "x-scim-bridge-body-sha256";
/** What the follower has left of the request's time (read by src/http/request-deadline.ts). */
export const FORWARDED_DEADLINE_HEADER = "x-scim-bridge-deadline";

/** How far a hop's timestamp may be from the leader's clock. */
export const HOP_WINDOW_MS = 30_000;
/** Nonces remembered at most (a hop's nonce is kept for the window): beyond it, hops are refused, never unchecked. */
const MAX_REMEMBERED = 100_000;

/** Response headers that carry meaning back to the IdP (content-type included): passed and signed. */
export const PASSED_RESPONSE_HEADERS = ["content-type", "etag", "location", "retry-after", "www-authenticate", "allow", "content-language"] as const;

export interface VerifiedHop {
  nonce: string;
  /** The digest the follower signed for the body; checked once the body is parsed. */
  bodyDigest: string;
}

declare module "express-serve-static-core" {
  interface Request {
    /** Set when another replica passed this request on with a valid hop credential. */
    replicaHop?: VerifiedHop;
  }
}

/** Was this request passed on by another replica, with a valid credential? (It is then served here, counted there.) */
export const isForwarded = (req: { replicaHop?: VerifiedHop }): boolean => req.replicaHop !== undefined;

const digest = (text: string): string => createHash("sha256").update(text).digest("base64url");

/** The text a follower sends as the body and the leader digests after parsing: one rule for both sides. */
export const hopBodyText = (body: unknown): string => (body === undefined ? "" : JSON.stringify(body));

/** What a follower signs and sends, and what the leader recomputes. */
export interface HopRequest {
  method: string;
  /** Path and query, as sent. */
  target: string;
  host: string;
  ifMatch: string;
  ifNoneMatch: string;
  proto: string;
  /** The FORWARDED_DEADLINE_HEADER value, "" without one. */
  deadline: string;
  client: string;
  to: string;
  bodyDigest: string;
  timestamp: number;
  nonce: string;
}

const requestString = (r: HopRequest): string =>
  ["scim-bridge hop request v1", r.to, r.method, r.target, r.host, r.ifMatch, r.ifNoneMatch, r.proto, r.deadline, r.client, r.bodyDigest, String(r.timestamp), r.nonce].join("\n");

const answerString = (nonce: string, status: number, headers: Record<string, string>, bodyDigest: string): string =>
  ["scim-bridge hop answer v1", nonce, String(status), ...PASSED_RESPONSE_HEADERS.map((name) => `${name}:${headers[name] ?? ""}`), bodyDigest].join("\n");

export class ReplicaHops {
  private readonly key: Buffer;
  /** Nonce -> when it may be forgotten (ms), in insertion order. */
  private readonly seen = new Map<string, number>();

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createHmac("sha256", "scim-bridge replica hop").update(secret).digest();
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key).update(text).digest("base64url");
  }

  /** Headers a follower sends instead of the IdP's Authorization, and the nonce its answer must carry. */
  sign(fields: Omit<HopRequest, "timestamp" | "nonce" | "bodyDigest">, bodyText: string): { headers: Record<string, string>; nonce: string } {
    const request: HopRequest = { ...fields, bodyDigest: digest(bodyText), timestamp: this.now(), nonce: randomBytes(16).toString("base64url") };
    return {
      nonce: request.nonce,
      headers: {
        [HOP_HEADER]: `${request.timestamp}.${request.nonce}.${this.mac(requestString(request))}`,
        [HOP_TO_HEADER]: request.to,
        [CLIENT_HEADER]: encodeURIComponent(request.client),
        [BODY_HEADER]: request.bodyDigest,
      },
    };
  }

  /** Whether a leader's answer is genuine and answers the request with this nonce. */
  verifyAnswer(nonce: string, status: number, headers: Record<string, string>, body: Buffer, signature: unknown): boolean {
    if (typeof signature !== "string") return false;
    return sameString(this.mac(answerString(nonce, status, headers, digest(body.toString("utf8")))), signature);
  }

  /**
   * The leader's side, first of all: a request with a hop credential is answered only if the
   * credential holds (else 401, never a fall back to other credentials), and its answer is signed.
   * A request without one passes on to the usual authentication (`orAuthenticate`).
   */
  accept(ownId: () => string | undefined): RequestHandler {
    return (req, res, next) => {
      const credential = req.headers[HOP_HEADER];
      if (credential === undefined) return next();
      const refused = (why: string) => {
        req.log?.warn({ replicaHop: why }, "refused a request passed on by another replica");
        next(new ScimError(401, null, "Invalid replica credential"));
      };
      const parts = typeof credential === "string" ? credential.split(".") : [];
      const [ts, nonce, sig] = parts;
      const to = req.headers[HOP_TO_HEADER];
      const client = req.headers[CLIENT_HEADER];
      const bodyDigest = req.headers[BODY_HEADER];
      if (parts.length !== 3 || !/^\d{1,15}$/.test(ts!) || !/^[\w-]{16,64}$/.test(nonce!) || typeof to !== "string" || typeof client !== "string" || typeof bodyDigest !== "string") {
        return refused("malformed");
      }
      const timestamp = Number(ts);
      let clientName: string;
      try {
        clientName = decodeURIComponent(client);
      } catch {
        return refused("malformed");
      }
      const expected = this.mac(
        requestString({
          to,
          method: req.method,
          target: req.originalUrl,
          host: req.headers.host ?? "",
          ifMatch: headerText(req, "if-match"),
          ifNoneMatch: headerText(req, "if-none-match"),
          proto: headerText(req, "x-forwarded-proto"),
          deadline: headerText(req, FORWARDED_DEADLINE_HEADER),
          client: clientName,
          bodyDigest,
          timestamp,
          nonce: nonce!,
        }),
      );
      if (!sameString(expected, sig!)) return refused("signature");
      if (to !== ownId()) return refused("meant for another replica");
      const now = this.now();
      if (Math.abs(now - timestamp) > HOP_WINDOW_MS) return refused("stale (check the replicas' clocks)");
      if (!this.remember(nonce!, timestamp + HOP_WINDOW_MS, now)) return refused("replayed");
      req.replicaHop = { nonce: nonce!, bodyDigest };
      req.scimClient = clientName.slice(0, 80);
      signAnswers(res, (status, headers, body) => this.mac(answerString(nonce!, status, headers, digest(body.toString("utf8")))));
      next();
    };
  }

  /** The IdP's authentication, for every request that did not come as a verified hop. */
  static orAuthenticate(authenticate: RequestHandler): RequestHandler {
    return (req, res, next) => (isForwarded(req) ? next() : authenticate(req, res, next));
  }

  /** After the body parser: the parsed body is the one the follower signed. */
  readonly checkBody: RequestHandler = (req, _res, next) => {
    const hop = req.replicaHop;
    if (hop === undefined || sameString(digest(hopBodyText(req.body)), hop.bodyDigest)) return next();
    req.log?.warn({ replicaHop: "body" }, "refused a request passed on by another replica");
    next(new ScimError(401, null, "Invalid replica credential"));
  };

  /** Marks a nonce seen; false if it was, or if memory is full of unexpired nonces. */
  private remember(nonce: string, until: number, now: number): boolean {
    for (const [seen, at] of this.seen) {
      if (at > now) break;
      this.seen.delete(seen);
    }
    if (this.seen.has(nonce) || this.seen.size >= MAX_REMEMBERED) return false;
    this.seen.set(nonce, until);
    return true;
  }
}

function headerText(req: Request, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? "");
}

/** The passed-back headers as the answer carries them (one text per name). */
export function passedHeaders(get: (name: string) => unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_RESPONSE_HEADERS) {
    const value = get(name);
    if (typeof value === "string") out[name] = value;
    else if (typeof value === "number") out[name] = String(value);
  }
  return out;
}

/** Buffers the answer and sends it with its signature (SCIM answers are small JSON documents). */
function signAnswers(res: Response, sign: (status: number, headers: Record<string, string>, body: Buffer) => string): void {
  const chunks: Buffer[] = [];
  const toBuffer = (chunk: unknown, encoding: unknown): Buffer | undefined => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return undefined;
    if (Buffer.isBuffer(chunk)) return chunk;
    if (chunk instanceof Uint8Array) return Buffer.from(chunk);
    return Buffer.from(String(chunk), typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  };
  const end = res.end.bind(res) as (body?: Buffer, cb?: () => void) => Response;
  res.write = ((chunk: unknown, encoding?: unknown, cb?: unknown) => {
    const buffer = toBuffer(chunk, encoding);
    if (buffer) chunks.push(buffer);
    const done = typeof encoding === "function" ? encoding : cb;
    if (typeof done === "function") process.nextTick(done as () => void);
    return true;
  }) as Response["write"];
  res.end = ((chunk?: unknown, encoding?: unknown, cb?: unknown) => {
    const buffer = toBuffer(chunk, encoding);
    if (buffer) chunks.push(buffer);
    const body = Buffer.concat(chunks);
    if (!res.headersSent) res.setHeader(SERVED_HEADER, sign(res.statusCode, passedHeaders((name) => res.getHeader(name)), body));
    const done = [chunk, encoding, cb].find((f) => typeof f === "function") as (() => void) | undefined;
    return end(body, done);
  }) as Response["end"];
}
