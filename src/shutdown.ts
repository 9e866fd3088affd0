import type { Server, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { type Clock, systemClock } from "./bigcommerce/clock.js";

/** How long requests in flight may take to finish after SIGTERM/SIGINT before the process exits anyway. */
export const DRAIN_LIMIT_MS = 10_000;

export interface ShutdownOptions {
  server: Server;
  /** Run in order once the server has closed (the bridge, the embedded emulator). */
  closers: readonly (() => Promise<void>)[];
  logger: Logger;
  /** process.exit; tests pass their own, with a fake clock. */
  exit?: (code: number) => void;
  clock?: Clock;
}

/**
 * The process's stop on SIGTERM/SIGINT: no new connections, idle keep-alive connections closed,
 * requests in flight answered, then the closers (a replica hands its lead over) and exit 0. A
 * request that is still running DRAIN_LIMIT_MS after the signal (an orchestrator's grace period
 * is usually 30 s) does not hold the process: it exits 1. Create it as soon as the server
 * listens, so that it knows every answer under way.
 */
export function gracefulShutdown(options: ShutdownOptions): (signal: string) => void {
  const { server, closers, logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const clock = options.clock ?? systemClock;
  let stopping = false;
  const answering = new Set<ServerResponse>();
  // server.close() waits for every connection to end, and a connection kept alive after its
  // answer (IdPs keep theirs for a minute) would hold it until the drain limit: once stopping,
  // each answer says `Connection: close`, and its connection is closed once it is sent.
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader("Connection", "close");
    res.once("finish", () => setImmediate(() => server.closeIdleConnections()));
  };
  server.on("request", (_req, res: ServerResponse) => {
    if (stopping) {
      closeAfter(res);
      return;
    }
    answering.add(res);
    res.once("close", () => answering.delete(res));
  });
  return (signal) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const forced = new AbortController();
    void clock.sleep(DRAIN_LIMIT_MS, forced.signal).then(
      () => {
        logger.warn({ drainLimitMs: DRAIN_LIMIT_MS }, "requests still in flight at the drain limit; exiting anyway");
        exit(1);
      },
      () => undefined,
    );
    for (const res of answering) closeAfter(res);
    server.close(async () => {
      for (const close of closers) await close().catch(() => undefined);
      forced.abort();
      exit(0);
    });
    server.closeIdleConnections();
  };
}
