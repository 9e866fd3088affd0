import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { logLinesInto } from "../../src/dev/bridge-harness.js";
import { DRAIN_LIMIT_MS, gracefulShutdown } from "../../src/shutdown.js";
import { FakeClock } from "../bigcommerce/helpers/fake-clock.js";

/**
 * docs/operations.md: SIGTERM/SIGINT stop accepting connections, let requests in flight finish,
 * and exit at the latest DRAIN_LIMIT_MS (10 s) after the signal. Real HTTP, time on a fake clock.
 */
interface World {
  server: Server;
  url: string;
  /** Requests that reached the handler and wait for `answer()`. */
  held: ServerResponse[];
  arrived(): Promise<void>;
  exits: number[];
  exited: Promise<number>;
  closed: string[];
  lines: string[];
  clock: FakeClock;
  stop: (signal: string) => void;
}

let world: World | undefined;
afterEach(async () => {
  world?.server.closeAllConnections();
  world = undefined;
});

async function start(): Promise<World> {
  const held: ServerResponse[] = [];
  let arrival: () => void = () => undefined;
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    held.push(res);
    arrival();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const clock = new FakeClock();
  const exits: number[] = [];
  let exitedWith: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exitedWith = resolve));
  const closed: string[] = [];
  const lines: string[] = [];
  const stop = gracefulShutdown({
    server,
    closers: [async () => void closed.push("bridge"), async () => void closed.push("emulator")],
    logger: createLogger("info", logLinesInto(lines)),
    exit: (code) => {
      exits.push(code);
      exitedWith(code);
    },
    clock,
  });
  const arrived = () => new Promise<void>((resolve) => (arrival = resolve));
  world = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, held, arrived, exits, exited, closed, lines, clock, stop };
  return world;
}

describe("graceful shutdown (SIGTERM, SIGINT)", () => {
  it("answers the request in flight, refuses new connections, then runs the closers and exits 0", async () => {
    const w = await start();
    const arrived = w.arrived();
    const inFlight = fetch(`${w.url}/slow`);
    await arrived;
    w.stop("SIGTERM");
    await expect(fetch(`${w.url}/new`)).rejects.toThrow();
    expect(w.exits).toEqual([]);

    w.held[0]!.end("done");
    const res = await inFlight;
    expect(res.status).toBe(200);
    // A connection kept alive after its answer would hold the close until the client drops it.
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.text()).toBe("done");
    expect(await w.exited).toBe(0);
    expect(w.closed).toEqual(["bridge", "emulator"]);
    expect(w.exits).toEqual([0]);
    expect(w.lines.filter((l) => l.includes('"shutting down"'))).toHaveLength(1);
  });

  it("exits 1 at the drain limit, not before, when a request is still running", async () => {
    const w = await start();
    const arrived = w.arrived();
    void fetch(`${w.url}/never-answered`).catch(() => undefined);
    await arrived;
    w.stop("SIGTERM");
    w.stop("SIGINT"); // a second signal starts nothing new
    await w.clock.advance(DRAIN_LIMIT_MS - 1);
    expect(w.exits).toEqual([]);
    await w.clock.advance(1);
    expect(w.exits).toEqual([1]);
    expect(w.closed).toEqual([]);
    expect(DRAIN_LIMIT_MS).toBe(10_000);
    expect(w.lines.filter((l) => l.includes('"shutting down"'))).toHaveLength(1);
    expect(w.lines.some((l) => l.includes("exiting anyway"))).toBe(true);
  });
});
