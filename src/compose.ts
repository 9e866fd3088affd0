import type { Logger } from "pino";
import { createApp, type Bridge } from "./app.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "./bigcommerce/client.js";
import type { Config } from "./config.js";
import { openSharedState, type SharedState } from "./shared-state/index.js";

/** The store the bridge writes to: the configured one, or an emulator main.ts started. */
export interface Upstream {
  apiUrl: string;
  storeHash: string;
  accessToken: string;
}

export interface ComposedBridge {
  bridge: Bridge;
  client: BigCommerceClientHandle;
  /** State shared with other replicas (REDIS_URL), if configured. */
  shared: SharedState | undefined;
  /** Stops the app, then the client, then the shared state (the HTTP server is the caller's). */
  close(): Promise<void>;
}

/**
 * The one composition root: configuration -> BigCommerce client -> shared state -> SCIM app.
 * main.ts and the development harness (src/dev/bridge-harness.ts) both build the bridge here, so
 * every setting that reaches the client in production (timeouts, wait bound, rate reserve) also
 * reaches it in tests.
 */
export async function composeBridge(config: Config, options: { logger: Logger; upstream: Upstream }): Promise<ComposedBridge> {
  const { logger, upstream } = options;
  let bridge: Bridge | undefined;
  const client = createBigCommerceClient({
    apiUrl: upstream.apiUrl,
    storeHash: upstream.storeHash,
    accessToken: upstream.accessToken,
    requestTimeoutMs: config.upstream.requestTimeoutMs,
    maxWaitMs: config.upstream.maxWaitMs,
    reserve: config.upstream.reserve,
    logger: logger.child({ component: "bigcommerce" }),
    onCall: (record) => bridge?.metrics.recordUpstream(record),
  });
  // Replicas: state shared through Redis (REDIS_URL), keys namespaced by the store hash.
  const shared = config.redis ? openSharedState(config.redis, upstream.storeHash, logger) : undefined;
  try {
    bridge = await createApp({ config, client, logger, upstreamState: () => client.governorState(), storeHash: upstream.storeHash, shared });
  } catch (err) {
    await client.close().catch(() => undefined);
    await shared?.close().catch(() => undefined);
    throw err;
  }
  const app = bridge;
  return {
    bridge: app,
    client,
    shared,
    close: async () => {
      await app.close();
      await client.close();
      await shared?.close();
    },
  };
}
