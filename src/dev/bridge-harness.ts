import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import type { Bridge } from "../app.js";
import type { BigCommerceClientHandle } from "../bigcommerce/client.js";
import { composeBridge } from "../compose.js";
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
  /** Replicas: several bridges on one emulator (the caller starts and closes it); `prepare` runs
   * before the bridge starts (e.g. to create the store's channels for its start-up checks). */
  options: { emulator?: RunningEmulator; prepare?: (emulator: RunningEmulator) => void | Promise<void> } = {},
): Promise<RunningBridge> {
  const emulator = options.emulator ?? (await startEmulator({ port: 0, rateQuota: 100_000, rateWindowMs: 30_000, ...emulatorOptions }));
  await options.prepare?.(emulator);
  const config = loadConfig({
    SCIM_BEARER_TOKENS: TEST_TOKEN,
    BIGCOMMERCE_STORE_HASH: STORE_HASH,
    BIGCOMMERCE_ACCESS_TOKEN: "emulator-token",
    BIGCOMMERCE_API_URL: emulator.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...env,
  });
  const logger = createLogger(config.logLevel);
  // The same composition as main.ts, on the emulator this harness started (or was given).
  const composed = await composeBridge(config, {
    logger,
    upstream: { apiUrl: emulator.url, storeHash: STORE_HASH, accessToken: "emulator-token", ...config.bigcommerce },
  });
  const app = composed.bridge;
  const server: Server = app.app.listen(0, "127.0.0.1");
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
      if (!options.emulator) await emulator.close();
    },
  };
}
