import { startEmulator, type RunningEmulator, type StartOptions } from "../../src/emulator/index.js";
import { startBridge, type RunningBridge } from "./bridge-harness.js";
import { startRedisServer, type RedisServer } from "./redis-server.js";

/** Bridges of one store sharing one redis-server and one emulator, as replicas do in production. */
export interface Replicas {
  server: RedisServer;
  emulator: RunningEmulator;
  /** In start order: the first one started leads (unless REPLICA_FORWARDING is off). */
  bridges: RunningBridge[];
  /** Closes every bridge (once: a test may already have stopped one), then the emulator and the server. */
  close(): Promise<void>;
}

export async function startReplicas(options: {
  count: number;
  /** Each bridge's environment; REDIS_URL is the server's. */
  env?: Record<string, string>;
  redis?: { password?: string };
  /** The shared emulator's settings (its port is chosen here). */
  emulator: Omit<StartOptions, "port">;
}): Promise<Replicas> {
  const server = await startRedisServer(options.redis);
  const bridges: RunningBridge[] = [];
  let emulator: RunningEmulator | undefined;
  const close = async () => {
    for (const bridge of bridges) await bridge.close();
    await emulator?.close();
    await server.stop();
  };
  try {
    emulator = await startEmulator({ port: 0, ...options.emulator });
    const env = { ...options.env, REDIS_URL: server.url };
    for (let i = 0; i < options.count; i += 1) bridges.push(closingOnce(await startBridge(env, {}, { emulator })));
  } catch (err) {
    // A replica that refuses to start must not leave the others, the emulator or Redis running.
    await close();
    throw err;
  }
  return { server, emulator, bridges, close };
}

/** bridge.close() that closes the bridge the first time and after that only waits for it. */
function closingOnce(bridge: RunningBridge): RunningBridge {
  let closed: Promise<void> | undefined;
  return { ...bridge, close: () => (closed ??= bridge.close()) };
}

/** Replicas for one piece of a test, closed whether `work` passes or throws. */
export async function withReplicas<T>(options: Parameters<typeof startReplicas>[0], work: (replicas: Replicas) => Promise<T>): Promise<T> {
  const replicas = await startReplicas(options);
  try {
    return await work(replicas);
  } finally {
    await replicas.close();
  }
}
