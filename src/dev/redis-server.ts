import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { freePort } from "./free-port.js";
import { connect } from "node:net";

/**
 * A real, throw-away redis-server (Debian's package) on a free loopback port, persistence off.
 * Development only (tests, the benchmark): main.ts never imports it. Stopped by its pid; `stop()` and `start()` again on the same port simulate an outage.
 */

const BINARY = process.env.REDIS_SERVER_BIN ?? "redis-server";

/** Whether redis-server can be started here; tests that need it skip themselves otherwise. */
export const redisServerAvailable: boolean = spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
export const SKIP_REASON = "redis-server is not installed (apt-get install redis-server): Redis tests skipped";


/** One raw PING over TCP: true when the server answers (+PONG, or NOAUTH with a password). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

export interface RedisServer {
  port: number;
  url: string;
  readonly running: boolean;
  /** Stops the process (SIGKILL when `crash`), waits until it has exited. */
  stop(options?: { crash?: boolean }): Promise<void>;
  /** Starts it again on the same port (empty: no persistence), waits until it answers PING. */
  start(): Promise<void>;
}

export async function startRedisServer(options: { password?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"];
    if (options.password) args.push("--requirepass", options.password);
    const proc = spawn(BINARY, args, { stdio: "ignore" });
    child = proc;
    // Never leave a server behind if the test process ends without stopping it.
    const reap = () => proc.exitCode === null && proc.kill("SIGKILL");
    process.once("exit", reap);
    proc.once("exit", () => process.removeListener("exit", reap));
    const started = Date.now();
    while (!(await ping(port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
      if (Date.now() - started > 10_000) {
        await stop({ crash: true });
        throw new Error("redis-server did not answer PING within 10 s");
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const stop = async ({ crash = false } = {}): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    process.kill(proc.pid, crash ? "SIGKILL" : "SIGTERM");
    await exited;
  };

  await start();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null;
    },
    stop,
    start,
  };
}
