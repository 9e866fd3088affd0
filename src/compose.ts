import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { Agent, request } from "undici";
import { createApp, type AppDeps, type Bridge } from "./app.js";
import { AuditTrail } from "./audit/audit-trail.js";
import { createBigCommerceClient, type BigCommerceClientHandle } from "./bigcommerce/client.js";
import { IdpConnections } from "./bigcommerce/arrivals.js";
import { ConfigError, type Config } from "./config.js";
import { ReplicaHops } from "./http/replica-hop.js";
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

/** Whether GET <url>/healthz reaches a bridge (this one), within 2 s, trusting `ca` for https. */
async function answersAt(url: string, ca: string | undefined): Promise<boolean> {
  const dispatcher = new Agent({ connect: { timeout: 2_000, ...(ca !== undefined ? { ca } : {}) }, headersTimeout: 2_000, bodyTimeout: 2_000 });
  try {
    const res = await request(`${url.replace(/\/$/, "")}/healthz`, { dispatcher });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

/** REPLICA_CA, read once at start-up: a missing or unreadable file stops start-up. */
function replicaCa(file: string | null): string | undefined {
  if (file === null) return undefined;
  try {
    const pem = readFileSync(file, "utf8");
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM certificate in it");
    return pem;
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  REPLICA_CA: cannot use ${file} (${(err as Error).message})`);
  }
}

/**
 * The one composition root: configuration -> shared state -> BigCommerce client -> SCIM app.
 * main.ts and the development harness (src/dev/bridge-harness.ts) both build the bridge here, so
 * every setting that reaches the client in production (timeouts, wait bound, rate reserve) also
 * reaches it in tests.
 */
export async function composeBridge(
  config: Config,
  options: {
    logger: Logger;
    upstream: Upstream;
    /** How long to wait for Redis at start-up. */
    sharedReadyMs?: number;
    /** The process's audit trail (several bridges in one process share one); default: opened from config. */
    audit?: AuditTrail;
    /** A tenant of many (src/tenants): where its app is mounted, and how its callers are authenticated. */
    tenant?: Pick<AppDeps, "basePath" | "authenticate">;
  },
): Promise<ComposedBridge> {
  const { logger, upstream } = options;
  // Replicas: state shared through Redis (REDIS_URL), keys namespaced by the store hash.
  // Hops between replicas and leadership claims are signed with a key that Redis does not hold.
  const replicaSecret = config.redis?.replicaSecret ?? upstream.accessToken;
  const ca = replicaCa(config.redis?.replicaCaFile ?? null);
  const shared = config.redis ? openSharedState(config.redis, upstream.storeHash, logger, config.upstream, replicaSecret) : undefined;
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
    // Mapped SCIM addresses come with the customer (include=addresses): no extra read.
    readAddresses: config.mapping.addresses.types.length > 0,
    logger: logger.child({ component: "bigcommerce" }),
    onCall: (record) => bridge?.metrics.recordUpstream(record),
  });
  try {
    const audit = options.audit ?? AuditTrail.open(logger, config.auditFile);
    bridge = await createApp({
      config,
      client,
      logger,
      upstreamState: () => client.governorState(),
      storeHash: upstream.storeHash,
      shared,
      audit,
      connections,
      ...options.tenant,
      // A tenant's bridge is built again at every change of it: the process's metrics are the front's, collected once.
      ...(options.tenant ? { processMetrics: false } : {}),
      ...(shared ? { replica: { hops: new ReplicaHops(replicaSecret), ...(ca !== undefined ? { ca } : {}) } } : {}),
    });
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
      if (!(await answersAt(own, ca))) {
        logger.warn({ replicaUrl: own }, "this replica cannot reach itself at its replica address; it serves its own requests and does not lead (set REPLICA_URL)");
        return;
      }
      await shared.leadership.start(own);
    },
    close: async () => {
      // Each part closes even when the one before it failed: a connection left open would keep the process alive.
      try {
        await app.close();
      } finally {
        try {
          await client.close();
        } finally {
          await shared?.close();
        }
      }
    },
  };
}
