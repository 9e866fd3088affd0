import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { Writable } from "node:stream";
import type { Bridge } from "../app.js";
import type { BigCommerceClientHandle } from "../bigcommerce/client.js";
import { composeBridge, type ComposedBridge } from "../compose.js";
import { loadConfig, type Config } from "../config.js";
import { answerClientErrors } from "../http/client-error.js";
import { startEmulator, type RunningEmulator, type StartOptions } from "../emulator/index.js";
import { createLogger } from "../logger.js";

export const TEST_TOKEN = "test-token-0123456789abcdef";
export const STORE_HASH = "teststore";

export interface RunningBridge {
  bridge: Bridge;
  /** The BigCommerce client the bridge uses (e.g. its governor state). */
  client: BigCommerceClientHandle;
  emulator: RunningEmulator;
  config: Config;
  /** http://127.0.0.1:PORT (no trailing slash); the SCIM API is under /scim/v2. */
  url: string;
  auth: { Authorization: string };
  /** BigCommerce calls the bridge made since the last clearRequests() (the emulator's log). */
  upstreamCalls(): { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/**
 * A bridge on a real port, talking over real HTTP to an emulator on another real port. Tests,
 * the compat suites and the benchmark use this; nothing is mocked. Development only: main.ts
 * never imports it.
 */
export async function startBridge(
  env: Record<string, string> = {},
  emulatorOptions: StartOptions = {},
  options: {
    /** Replicas: several bridges on one emulator (the caller starts and closes it). */
    emulator?: RunningEmulator;
    /** Runs before the bridge starts (e.g. to create the store's channels for its start-up checks). */
    prepare?: (emulator: RunningEmulator) => void | Promise<void>;
    /** Receives the bridge's log lines (pino JSON, one entry each) at LOG_LEVEL, for tests of
     * what the logs say; without it the logs go to stdout. */
    logLines?: string[];
    /** The port to listen on (e.g. one a TLS front already forwards to); default: any free one. */
    port?: number;
  } = {},
): Promise<RunningBridge> {
  const emulator = options.emulator ?? (await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000, ...emulatorOptions }));
  // A bridge that refuses to start (e.g. a start-up check) must not leave our emulator running.
  const closeOwnEmulator = () => (options.emulator ? Promise.resolve() : emulator.close());
  let composed: ComposedBridge;
  let config: Config;
  try {
    await options.prepare?.(emulator);
    config = loadConfig({
      SCIM_BEARER_TOKENS: TEST_TOKEN,
      BIGCOMMERCE_STORE_HASH: STORE_HASH,
      BIGCOMMERCE_ACCESS_TOKEN: "emulator-token",
      BIGCOMMERCE_API_URL: emulator.url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      ...env,
    });
    const logger = createLogger(config.logLevel, options.logLines ? logLinesInto(options.logLines) : undefined);
    // The same composition as main.ts, on the emulator this harness started (or was given).
    composed = await composeBridge(config, {
      logger,
      upstream: { apiUrl: emulator.url, storeHash: STORE_HASH, accessToken: "emulator-token", ...config.bigcommerce },
    });
  } catch (err) {
    await closeOwnEmulator();
    throw err;
  }
  const app = composed.bridge;
  const server: Server = app.app.listen(options.port ?? 0, "127.0.0.1");
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await composed.serving(`http://127.0.0.1:${port}`);
  emulator.clearRequests();
  return {
    bridge: app,
    client: composed.client,
    emulator,
    config,
    url: `http://127.0.0.1:${port}`,
    auth: { Authorization: `Bearer ${TEST_TOKEN}` },
    upstreamCalls: () => emulator.requests.map((r) => ({ method: r.method, path: r.path, status: r.status })),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await composed.close();
      await closeOwnEmulator();
    },
  };
}

/** A log destination that keeps each line (pino writes one JSON entry per line). */
export function logLinesInto(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
}
