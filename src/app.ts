import express, { type Express, type Request } from "express";
import { pinoHttp } from "pino-http";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import SCIMMYRouters from "scimmy-routers";
import { authenticate } from "./auth/authenticate.js";
import { StaticTokens } from "./auth/bearer-token.js";
import { JwtVerifier } from "./auth/jwt-verifier.js";
import type { BigCommerceClient } from "./bigcommerce/api.js";
import type { GovernorState } from "./bigcommerce/governor.js";
import type { IdpConnections } from "./bigcommerce/index.js";
import { Metrics } from "./http/metrics.js";
import { Readiness } from "./http/readiness.js";
import type { Config } from "./config.js";
import { errorHandler, notFoundHandler, SCIM_CONTENT_TYPE } from "./http/error-handler.js";
import { filterGuard } from "./http/filter-guard.js";
import { jsonBody } from "./http/json-body.js";
import { maskedUrl } from "./http/log-url.js";
import { methodGuard } from "./http/method-guard.js";
import { patchPathGuard } from "./http/patch-path-guard.js";
import { preconditions } from "./http/preconditions.js";
import { queryGuard } from "./http/query-guard.js";
import { resourceIdGuard } from "./http/resource-id-guard.js";
import { currentScope, enterRequestScope } from "./http/request-scope.js";
import type { ScimServices } from "./scim/context.js";
import { GroupDirectory } from "./scim/groups/group-directory.js";
import { GroupService } from "./scim/groups/group-service.js";
import { MembershipWriter } from "./scim/groups/membership-writer.js";
import { KeyedLock } from "./scim/keyed-lock.js";
import { forwardToLeader, isForwarded } from "./http/forward-to-leader.js";
import { RedisPendingIndex } from "./shared-state/redis-pending-index.js";
import { RedisUnfinishedGroupCreates } from "./shared-state/redis-unfinished-group-creates.js";
import { RedisWriteEpochs } from "./shared-state/redis-write-epochs.js";
import type { SharedState } from "./shared-state/index.js";
import { Discovery, discoveryRouter } from "./scim/scimmy/discovery.js";
import { configureServiceProvider, declareResources } from "./scim/scimmy/setup.js";
import { ensureAttributeCatalog } from "./scim/users/attribute-catalog-setup.js";
import { BEHIND_GIVE_UP_MS, ExternalIdIndex } from "./scim/users/external-id-index.js";
import { checkLockoutChannel } from "./scim/users/lockout-channel-check.js";
import { UserReader } from "./scim/users/user-reader.js";
import { ForgettingLock, RecentReads } from "./scim/users/recent-reads.js";
import { UserWriter } from "./scim/users/user-writer.js";
import { createSso, loggableUrl, SSO_BASE_PATH, ssoNotConfigured } from "./sso/index.js";

export const SCIM_BASE_PATH = "/scim/v2";
const PAGE_SIZE = { default: 100, max: 250 };

export interface AppDeps {
  config: Config;
  client: BigCommerceClient;
  logger: Logger;
  /** The client's view of the store's quota, for /metrics. */
  upstreamState?: () => GovernorState;
  /** The store's hash when config.bigcommerce is null (embedded emulator), for storefront sign-in. */
  storeHash?: string;
  /** State shared with other replicas through Redis (REDIS_URL); absent = in-process state. */
  shared?: SharedState;
  /** Where the client learns which IdP connections are busy (bigcommerce/arrivals.ts). */
  connections?: IdpConnections;
}

export interface Bridge {
  app: Express;
  services: ScimServices;
  /** Record BigCommerce calls here (the client's onCall hook). */
  metrics: Metrics;
  close(): Promise<void>;
}

/** Origin of absolute URLs in responses: PUBLIC_BASE_URL, else the request's own. */
function originOf(config: Config, req: Request): string {
  return config.publicBaseUrl ?? `${forwardedProtocol(req) ?? req.protocol}://${req.get("host") ?? "localhost"}`;
}

/** A request another replica passed on carries that replica's view of the scheme (set PUBLIC_BASE_URL to be independent of it). */
function forwardedProtocol(req: Request): string | undefined {
  if (!isForwarded(req)) return undefined;
  const proto = req.headers["x-forwarded-proto"];
  return proto === "http" || proto === "https" ? proto : undefined;
}

function baseUrlOf(config: Config, req: Request): string {
  return `${originOf(config, req)}${SCIM_BASE_PATH}`;
}

/** Builds the bridge for one store: reads (or creates) its attribute definitions first. */
export async function createApp({ config, client, logger, upstreamState, storeHash, shared, connections }: AppDeps): Promise<Bridge> {
  // With replicas, a write made under a user's lock is refused once its lease is lost, also when
  // it has already been queued: the client checks the lease as it sends (bigcommerce/write-guard.ts).
  await checkLockoutChannel(client, config.lockoutChannelId, logger);
  const catalog = await ensureAttributeCatalog(client, config.storedAttributes);
  const directory = new GroupDirectory(client, logger);
  await directory.refresh();
  directory.start();

  const auditLog = logger.child({ audit: true });
  // One line per change: operation, resource id, calling client, request id. Never values.
  const audit = (fields: Record<string, unknown>, message: string) => auditLog.info({ ...currentScope(), ...fields }, message);
  const repairWindowMs = config.indexRepairHours * 3_600_000;
  // With replicas, entries written behind are noted in Redis, so every replica's lookup sees them.
  const index = new ExternalIdIndex(
    client,
    logger,
    // Kept while write-behind still tries, and as far back as start-up repair looks.
    shared ? new RedisPendingIndex(shared.redis, shared.keys, Math.max(BEHIND_GIVE_UP_MS, repairWindowMs)) : undefined,
  );
  // Index entries written behind and lost with a crashed process come back before we serve.
  const externalIdAttribute = catalog.idOf("externalId");
  if (externalIdAttribute !== undefined && repairWindowMs > 0) {
    const restored = await index.repair(externalIdAttribute, new Date(Date.now() - repairWindowMs));
    if (restored > 0) logger.warn({ restored }, "externalId index entries restored at start-up");
  }
  // Replicas: every replica's writes make a remembered read stale, through Redis.
  const recentReads = new RecentReads(config.recentReadMs, shared ? { shared: new RedisWriteEpochs(shared.redis, shared.keys) } : {});
  const reader = new UserReader(client, index, config.maxScan, recentReads);
  const perCustomer = new ForgettingLock(recentReads, shared?.writeLock ?? new KeyedLock());
  const writer = new UserWriter(
    client,
    reader,
    catalog,
    index,
    {
      storedAttributes: config.storedAttributes,
      defaultChannelIds: config.defaultChannelIds,
      deactivatedGroupId: config.deactivatedGroupId,
      deleteMode: config.deleteMode,
      lockoutChannelId: config.lockoutChannelId,
    },
    (event) => audit({ resource: "User", ...event }, `user ${event.operation}`),
    logger,
    () => directory.defaultGroupId(),
    perCustomer,
  );
  const membership = new MembershipWriter(client, reader, catalog, perCustomer, config.deactivatedGroupId);
  const groups = new GroupService(client, directory, membership, config.deactivatedGroupId, logger, (event) =>
    audit({ resource: "Group", ...event }, `group ${event.operation}`),
    shared ? new RedisUnfinishedGroupCreates(shared.redis, shared.keys) : undefined,
  );
  const services: ScimServices = {
    users: { reader, writer },
    groups,
    userView: (baseUrl) => ({
      catalog,
      storedAttributes: config.storedAttributes,
      groupName: (id) => directory.nameOf(id),
      baseUrl,
    }),
    pageSize: PAGE_SIZE,
  };

  declareResources();
  const tokens = new StaticTokens(config.bearerTokens);
  const jwt = config.jwt ? new JwtVerifier(config.jwt) : null;

  const app = express();
  app.set("etag", false);
  app.set("x-powered-by", false);
  app.set("trust proxy", config.publicBaseUrl ? false : "loopback");
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers["x-request-id"];
        const id = typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      customProps: (req) => ({ client: (req as Request).scimClient }),
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
      serializers: {
        // Filter values (emails) only at debug (http/log-url.ts); the SSO callback's code and state never.
        req: (req) => ({
          id: req.id,
          method: req.method,
          url: logger.isLevelEnabled("debug") ? loggableUrl(req.url) : maskedUrl(loggableUrl(String(req.url))),
        }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    }),
  );

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Readiness (load balancers, Kubernetes): BigCommerce answers our credentials, Redis answers.
  app.get("/readyz", new Readiness({ client, ...(shared ? { redis: shared.redis } : {}) }).handler);
  const metrics = new Metrics(upstreamState);
  app.get("/metrics", authenticate(tokens, jwt), metrics.handler);

  const scim = express.Router();
  scim.use(metrics.track);
  scim.use(authenticate(tokens, jwt));
  scim.use(enterRequestScope);
  // The IdP's connection is busy until the answer is done: the client's batch lanes expect it.
  if (connections) scim.use((req, res, next) => res.once("close", connections.serve(req.socket, next).end));
  scim.use(jsonBody(config.bodyLimit));
  // Replicas: a follower passes the (checked) request to the leader, where batches fill.
  const forwarder = shared && config.redis?.forwarding ? forwardToLeader(shared.leadership, logger) : undefined;
  if (forwarder) scim.use(forwarder.middleware);
  scim.use((_req, res, next) => {
    res.setHeader("Content-Type", SCIM_CONTENT_TYPE);
    next();
  });
  scim.use(methodGuard);
  scim.use(resourceIdGuard);
  scim.use(filterGuard);
  scim.use(queryGuard);
  scim.use(patchPathGuard);
  scim.use(preconditions(services, (req) => baseUrlOf(config, req)));
  // Discovery is this app's own (its stored attributes, its base URL), not scimmy's global registry.
  scim.use(discoveryRouter(new Discovery({ storedAttributes: config.storedAttributes, maxResults: PAGE_SIZE.max }), (req) => baseUrlOf(config, req)));
  scim.use(
    new SCIMMYRouters({
      type: "bearer",
      docUri: "https://github.com/scim-bigcommerce-bridge/scim-bigcommerce-bridge#connect-your-identity-provider",
      handler: async () => undefined as unknown as string, // authentication already happened above, with WWW-Authenticate
      // One deployment has one origin, so scimmy's process-global base path cannot leak between tenants.
      baseUri: (req: Request) => originOf(config, req),
      context: (req: Request) => ({
        services,
        baseUrl: baseUrlOf(config, req),
        req,
        log: req.log ?? logger,
      }),
    }) as unknown as express.RequestHandler,
  );
  configureServiceProvider(PAGE_SIZE.max, undefined);
  app.use(SCIM_BASE_PATH, scim);
  if (config.sso) {
    app.use(
      SSO_BASE_PATH,
      createSso({
        sso: config.sso,
        publicBaseUrl: config.publicBaseUrl,
        storeHash: config.bigcommerce?.storeHash ?? storeHash ?? "",
        client,
        index,
        catalog,
        reader,
        writer,
        view: services.userView(`${config.publicBaseUrl ?? ""}${SCIM_BASE_PATH}`),
        logger,
      }),
    );
  } else {
    app.use(SSO_BASE_PATH, ssoNotConfigured());
  }
  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  return {
    app,
    services,
    metrics,
    close: async () => {
      directory.stop();
      await forwarder?.close();
    },
  };
}
