import type { Request } from "express";

/**
 * The address a request came from, for per-address limits. With TRUST_PROXY set, Express's
 * `trust proxy` walks X-Forwarded-For through the trusted proxies only (req.ip); without it no
 * header is believed, whatever it says: the TCP peer is the client.
 */
export function clientAddress(req: Request, trustProxy: boolean): string {
  return (trustProxy ? req.ip : req.socket.remoteAddress) ?? "unknown";
}
