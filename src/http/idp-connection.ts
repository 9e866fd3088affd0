import type { RequestHandler } from "express";
import type { IdpConnections } from "../bigcommerce/index.js";

/**
 * The IdP's connection (its socket) is busy until the answer is done: the client's batch lanes
 * expect it (bigcommerce/arrivals.ts).
 */
export function serveIdpConnection(connections: IdpConnections): RequestHandler {
  return (req, res, next) => {
    // The IdP hung up before its request got here (during an asynchronous step: a JWT's check, its
    // tenant's rebuild): the response's "close" has come and gone, so the socket would stay busy
    // for good, kept in memory, and every lane would hold for it. Nobody waits for this answer:
    // its work goes on as no connection's.
    if (res.destroyed) {
      next();
      return;
    }
    res.once("close", connections.serve(req.socket, next).end);
  };
}
