import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A minimal round-robin HTTP front (a load balancer's stand-in) for replicas in tests and the
 * benchmark: each request goes whole to the next backend; a backend that cannot be reached
 * answers 502. Development only: main.ts never imports it.
 */
export interface RoundRobinFront {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

export async function startRoundRobinFront(backends: readonly string[]): Promise<RoundRobinFront> {
  if (backends.length === 0) throw new Error("a round-robin front needs at least one backend");
  let next = 0;
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? "/", backends[next++ % backends.length]);
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
