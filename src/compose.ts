import type { Logger } from "pino";
import { createApp, type Bridge } from "./app.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "./bigcommerce/client.js";
import { IdpConnections } from "./bigcommerce/arrivals.js";
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
  /**
   * The HTTP server listens at `url` (how this process is reached): with replicas, it now takes
   * part in leadership (REPLICA_URL, when set, wins over `url`).
   */
  serving(url: string): Promise<void>;
  /** Stops the app, then the client, then the shared state (the HTTP server is the caller's). */
  close(): Promise<void>;
}

/** Whether GET <url>/healthz reaches a bridge (this one), within 2 s. */
async function answersAt(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/$/, "")}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The one composition root: configuration -> shared state -> BigCommerce client -> SCIM app.
 * main.ts and the development harness (src/dev/bridge-harness.ts) both build the bridge here, so
 * every setting that reaches the client in production (timeouts, wait bound, rate reserve) also
 * reaches it in tests.
 */
export async function composeBridge(config: Config, options: { logger: Logger; upstream: Upstream; /** How long to wait for Redis at start-up. */ sharedReadyMs?: number }): Promise<ComposedBridge> {
  const { logger, upstream } = options;
  // Replicas: state shared through Redis (REDIS_URL), keys namespaced by the store hash.
  const shared = config.redis ? openSharedState(config.redis, upstream.storeHash, logger, config.upstream, upstream.accessToken) : undefined;
  // Start-up's BigCommerce calls already take their slots from the shared quota.
  if (shared) {
    try {
      await shared.ready(options.sharedReadyMs ?? 30_000);
    } catch (err) {
      await shared.close().catch(() => undefined);
      throw err;
    }
  }
  let bridge: Bridge | undefined;
  // The IdP connections being served: the HTTP layer reports them, the client's batch lanes expect them.
  const connections = new IdpConnections();
  const client = createBigCommerceClient({
    idpConnections: connections,
    // Replicas take every request's slot from the quota they share, and share unsettled creates.
    ...(shared ? { permits: shared.permits, unsettledCreates: shared.unsettledCreates } : {}),
    apiUrl: upstream.apiUrl,
    storeHash: upstream.storeHash,
    accessToken: upstream.accessToken,
    requestTimeoutMs: config.upstream.requestTimeoutMs,
    maxWaitMs: config.upstream.maxWaitMs,
    reserve: config.upstream.reserve,
    paceBurstShare: config.upstream.paceBurstShare,
    logger: logger.child({ component: "bigcommerce" }),
    onCall: (record) => bridge?.metrics.recordUpstream(record),
  });
  try {
    bridge = await createApp({ config, client, logger, upstreamState: () => client.governorState(), storeHash: upstream.storeHash, shared, connections });
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
    serving: async (url) => {
      if (!shared || !config.redis?.forwarding) return;
      const own = config.redis.replicaUrl ?? url;
      // Lead only at an address that reaches this process: a wrong REPLICA_URL would send every
      // follower's requests nowhere (they would fall back to serving themselves, slowly).
      if (!(await answersAt(own))) {
        logger.warn({ replicaUrl: own }, "this replica cannot reach itself at its replica address; it serves its own requests and does not lead (set REPLICA_URL)");
        return;
      }
      await shared.leadership.start(own);
    },
    close: async () => {
      await app.close();
      await client.close();
      await shared?.close();
    },
  };
}
