import { hostname, networkInterfaces } from "node:os";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { composeBridge } from "./compose.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { startEmulator } from "./emulator/index.js";
import { answerClientErrors } from "./http/client-error.js";
import { createLogger } from "./logger.js";
import { composeTenants } from "./tenants/index.js";
import { embeddedSso } from "./sso/embedded.js";
import { gracefulShutdown } from "./shutdown.js";

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
  // Many stores (SCIM_TENANTS_FILE): each tenant names its own store, none is emulated.
  if (!upstream && !config.tenantsFile) {
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

  const composed = config.tenantsFile
    ? await composeTenants(config, { logger })
    : await composeBridge(config, { logger, upstream: upstream! }).then((single) => ({ ...single, app: single.bridge.app }));
  closers.unshift(() => composed.close());
  const server: Server = composed.app.listen(config.port, config.host);
  answerClientErrors(server);
  const stop = gracefulShutdown({ server, closers, logger });
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
  const scimPath = config.tenantsFile ? "/t/{tenant}/scim/v2" : "/scim/v2";
  logger.info({ port, scim: `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}${scimPath}` }, "SCIM bridge listening");
  await composed.serving(`http://${reachableAddress(config.host)}:${port}`);

  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // Many stores: SIGHUP reads the tenants file now (it is also read every few seconds).
  if ("reload" in composed) process.on("SIGHUP", () => void composed.reload("SIGHUP"));
}

/** How other replicas can reach this process (REPLICA_URL overrides it): its first IPv4 address. */
function reachableAddress(host: string): string {
  if (host !== "0.0.0.0" && host !== "::") return host.includes(":") ? `[${host}]` : host;
  for (const addresses of Object.values(networkInterfaces())) {
    const v4 = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return v4.address;
  }
  return hostname();
}

main().catch((err) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
