import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { createApp } from "./app.js";
import { createBigCommerceClient } from "./bigcommerce/client.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { startEmulator } from "./emulator/index.js";
import { answerClientErrors } from "./http/client-error.js";
import type { Metrics } from "./http/metrics.js";
import { createLogger } from "./logger.js";
import { embeddedSso } from "./sso/embedded.js";
import { openSharedState } from "./shared-state/index.js";

/**
 * Process entry: configuration -> (embedded emulator) -> BigCommerce client -> SCIM server ->
 * graceful shutdown on SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const closers: (() => Promise<void>)[] = [];

  let upstream = config.bigcommerce;
  if (!upstream) {
    const emulator = await startEmulator({
      port: 0,
      host: "127.0.0.1",
      rateQuota: config.emulator.rateQuota,
      rateWindowMs: config.emulator.rateWindowMs,
      latencyMs: config.emulator.latencyMs,
    });
    closers.push(() => emulator.close());
    upstream = { apiUrl: emulator.url, storeHash: "emulated", accessToken: randomBytes(16).toString("hex") };
    logger.warn({ emulator: emulator.url }, "no BIGCOMMERCE_STORE_HASH/BIGCOMMERCE_ACCESS_TOKEN: running on the embedded BigCommerce emulator (data is in memory)");
    if (config.bearerTokens.length === 0 && !config.jwt) {
      const token = randomBytes(24).toString("base64url");
      config = { ...config, bearerTokens: [token] };
      process.stdout.write(`\nSCIM bearer token for this run (emulator mode): ${token}\n\n`);
    }
    const sso = await embeddedSso(config, emulator, upstream.storeHash, logger);
    config = sso.config;
    closers.push(sso.close);
  }

  // Replicas: state shared through Redis (REDIS_URL), keys namespaced by the store hash.
  const shared = config.redis ? openSharedState(config.redis, upstream.storeHash, logger, config.upstream) : undefined;
  if (shared) closers.push(() => shared.close());
  // Start-up's BigCommerce calls already take their slots from the shared quota.
  if (shared) await shared.ready(30_000);
  let metrics: Metrics | undefined;
  const client = createBigCommerceClient({
    // Replicas take every request's slot from the quota they share, and share unsettled creates.
    ...(shared ? { permits: shared.permits, unsettledCreates: shared.unsettledCreates } : {}),
    apiUrl: upstream.apiUrl,
    storeHash: upstream.storeHash,
    accessToken: upstream.accessToken,
    requestTimeoutMs: config.upstream.requestTimeoutMs,
    maxWaitMs: config.upstream.maxWaitMs,
    reserve: config.upstream.reserve,
    logger: logger.child({ component: "bigcommerce" }),
    onCall: (record) => metrics?.recordUpstream(record),
  });
  closers.unshift(() => client.close());

  const bridge = await createApp({ config, client, logger, upstreamState: () => client.governorState(), storeHash: upstream.storeHash, shared });
  metrics = bridge.metrics;
  closers.unshift(() => bridge.close());
  const server: Server = bridge.app.listen(config.port, config.host);
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  // IdPs keep connections alive; stay above common load-balancer idle timeouts.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  logger.info({ port, scim: `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}/scim/v2` }, "SCIM bridge listening");

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close(async () => {
      for (const close of closers) await close().catch(() => undefined);
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
