import express, { type Express, type Request, type RequestHandler } from "express";
import { pinoHttp } from "pino-http";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import SCIMMYRouters from "scimmy-routers";
import { AuditTrail } from "./audit/audit-trail.js";
import { authenticate } from "./auth/authenticate.js";
import { retryAfterSeconds, type AddressLimiter, type AddressThrottleSettings } from "./http/address-throttle.js";
import { clientAddress } from "./http/client-address.js";
import { StaticTokens } from "./auth/bearer-token.js";
import { JwtVerifier } from "./auth/jwt-verifier.js";
import type { BigCommerceClient } from "./bigcommerce/api.js";
import type { GovernorState } from "./bigcommerce/governor.js";
import { defaultLateWriteGraceMs } from "./bigcommerce/defaults.js";
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
import { auditWrites, noteChange } from "./http/audit-writes.js";
import { enterRequestScope } from "./http/request-scope.js";
import { enterRequestDeadline } from "./http/request-deadline.js";
import { serveIdpConnection } from "./http/idp-connection.js";
import type { ScimServices } from "./scim/context.js";
import { GroupDirectory } from "./scim/groups/group-directory.js";
import { GroupService } from "./scim/groups/group-service.js";
import { MemberListing } from "./scim/groups/member-listing.js";
import { MembershipWriter } from "./scim/groups/membership-writer.js";
import { KeyedLock } from "./scim/keyed-lock.js";
import { forwardToLeader } from "./http/forward-to-leader.js";
import { isForwarded, ReplicaHops } from "./http/replica-hop.js";
import { addressLimiter } from "./shared-state/redis-address-throttle.js";
import { RedisPendingIndex } from "./shared-state/redis-pending-index.js";
import { RedisUnfinishedGroupCreates } from "./shared-state/redis-unfinished-group-creates.js";
import { RedisWriteEpochs } from "./shared-state/redis-write-epochs.js";
import type { SharedState } from "./shared-state/index.js";
import { Discovery, discoveryRouter } from "./scim/scimmy/discovery.js";
import { configureServiceProvider, declareResources } from "./scim/scimmy/setup.js";
import { ensureAttributeCatalog } from "./scim/users/attribute-catalog-setup.js";
import { AddressWriter } from "./scim/users/address-writer.js";
import { AddressMapping } from "./mapping/customer-addresses.js";
import { UnmappedReport } from "./scim/users/unmapped-report.js";
import { resolveMapping } from "./mapping/custom-mapping.js";
import { BEHIND_GIVE_UP_MS, ExternalIdIndex } from "./scim/users/external-id-index.js";
import { checkLockoutChannel } from "./scim/users/lockout-channel-check.js";
import { ParkingGroupError, parkingGroupProblem } from "./scim/users/parking-group-check.js";
import { UserReader } from "./scim/users/user-reader.js";
import { ForgettingLock, RecentReads } from "./scim/users/recent-reads.js";
import { UserWriter } from "./scim/users/user-writer.js";
import { createSso, loggableUrl, SSO_BASE_PATH, ssoNotConfigured } from "./sso/index.js";
import { refusalPage } from "./sso/page.js";

export const SCIM_BASE_PATH = "/scim/v2";
/** The per-address limits count per minute, for at most this many addresses at once (in a process's own table). */
const LIMIT_WINDOW_MS = 60_000;
const LIMIT_MAX_ADDRESSES = 10_000;
export const perMinute = (limit: number): AddressThrottleSettings => ({ limit, windowMs: LIMIT_WINDOW_MS, maxAddresses: LIMIT_MAX_ADDRESSES });
/** How long a stop waits for externalId index entries still written behind (shutdown.ts allows 10 s in all). */
export const INDEX_SETTLE_ON_CLOSE_MS = 5_000;

/** /sso/login and /sso/callback, per client address: past the limit a 429 page with Retry-After. */
function limitSignIns(throttle: AddressLimiter, addressOf: (req: Request) => string, storefrontUrl: string | null): express.RequestHandler {
  return (req, res, next) => {
    if (req.path !== "/login" && req.path !== "/callback") return next();
    Promise.resolve(throttle.hit(addressOf(req))).then((waitMs) => {
      if (waitMs === 0) return next();
      res
        .status(429)
        .set({ "Retry-After": retryAfterSeconds(waitMs), "Cache-Control": "no-store" })
        .type("html")
        .send(refusalPage("Too many sign-in attempts from your network. Try again in a minute.", storefrontUrl));
    }, next);
  };
}
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
  /** Where audit events go (one per process; absent = the log stream only). */
  audit?: AuditTrail;
  /** With `shared`: the credentials of hops between replicas, and the CA an https REPLICA_URL is checked against. */
  replica?: { hops: ReplicaHops; ca?: string };
  /** Where the app is mounted ("/t/acme" for a tenant, src/tenants); "" = at the root. */
  basePath?: string;
  /**
   * How a caller of the SCIM API and /metrics proves it may call; absent = config.bearerTokens
   * (and JWT) checked here. A tenant's is its own (src/tenants/tenant.ts: the front checked it).
   */
  authenticate?: RequestHandler;
  /** Where the client learns which IdP connections are busy (bigcommerce/arrivals.ts). */
  connections?: IdpConnections;
  /** Whether /metrics carries the process's own metrics (default true; a tenant's does not: http/metrics.ts). */
  processMetrics?: boolean;
}

export interface Bridge {
  app: Express;
  services: ScimServices;
  /** Record BigCommerce calls here (the client's onCall hook). */
  metrics: Metrics;
  /** Resolves once the externalId index entries written behind so far have landed (or been given up), or after `withinMs`. */
  settled(withinMs?: number): Promise<void>;
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

function baseUrlOf(config: Config, basePath: string, req: Request): string {
  return `${originOf(config, req)}${basePath}${SCIM_BASE_PATH}`;
}

/** Builds the bridge for one store: reads (or creates) its attribute definitions first. */
export async function createApp({ config, client, logger, upstreamState, storeHash, shared, replica, audit: trail = AuditTrail.open(logger, null), basePath = "", authenticate: givenAuthenticate, connections, processMetrics = true }: AppDeps): Promise<Bridge> {
  // With replicas, a write made under a user's lock is refused once its lease is lost, also when
  // it has already been queued: the client checks the lease as it sends (bigcommerce/write-guard.ts).
  await checkLockoutChannel(client, config.lockoutChannelId, logger);
  // SCIM addresses, when the mapping file lists address types (customer-addresses.ts).
  const addressMapping = new AddressMapping(config.mapping.addresses.types);
  // The mapping file's entries (their errors name the entry), then the store's attribute definitions.
  const fileMapping = resolveMapping(config.mapping, config.storedAttributes);
  const { catalog, mapping } = await ensureAttributeCatalog(
    client,
    fileMapping.storedAttributes,
    { mapping: fileMapping, features: addressMapping.mapped ? ["addresses"] : [] },
    (note) => logger.warn(note, "SCIM_MAPPING_FILE asks another type for a customer attribute the store has; the store's type is kept"),
  );
  const storedAttributes = mapping.storedAttributes;
  const metrics = new Metrics(upstreamState, { processMetrics });
  const unmapped = new UnmappedReport(logger, (name) => metrics.recordUnmapped(name));
  const directory = new GroupDirectory(client, logger);
  await directory.refresh();
  // From the listing just read, no call of its own (the doctor checks the same, and more).
  const parking = config.deactivatedGroupId;
  const problem = parking === null ? null : parkingGroupProblem(parking, { name: directory.nameOf(parking) ?? "", isDefault: directory.defaultGroupId() === parking });
  if (problem !== null) throw new ParkingGroupError(`${problem.detail}; ${problem.fix}`);

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
  const listing = new MemberListing(client, catalog, config.deactivatedGroupId);
  // A group known deleted has no members for a groups.value filter: no listing of stored values.
  const reader = new UserReader(client, index, config.maxScan, recentReads, addressMapping.mapped, async (groupId) =>
    directory.isDeleted(groupId) ? [] : listing.storedMembers(groupId),
  );
  const perCustomer = new ForgettingLock(recentReads, shared?.writeLock ?? new KeyedLock());
  const writer = new UserWriter(
    client,
    reader,
    catalog,
    index,
    {
      storedAttributes,
      mapping,
      onUnmapped: unmapped.report,
      defaultChannelIds: config.defaultChannelIds,
      deactivatedGroupId: config.deactivatedGroupId,
      deleteMode: config.deleteMode,
      lockoutChannelId: config.lockoutChannelId,
      // A write abandoned with its lease may still land within the client's late-write grace.
      recheckAfterLostLeaseMs: defaultLateWriteGraceMs(config.upstream.requestTimeoutMs),
    },
    (event) => noteChange({ resourceType: "User", operation: event.operation, resourceId: event.customerId, changed: event.changed }),
    logger,
    () => directory.defaultGroupId(),
    perCustomer,
    addressMapping.mapped ? new AddressWriter(client, addressMapping) : undefined,
  );
  const membership = new MembershipWriter(
    client,
    reader,
    catalog,
    perCustomer,
    config.deactivatedGroupId,
    { nameOf: (id) => directory.nameOf(id), isDeleted: (id) => directory.isDeleted(id), refresh: async () => void (await directory.load()) },
    config.mapping.groupPrecedence,
    logger,
  );
  const groups = new GroupService(client, directory, membership, listing, config.deactivatedGroupId, logger, (event) =>
    noteChange({ resourceType: "Group", operation: event.operation, resourceId: event.groupId, changed: event.changed }),
    shared ? new RedisUnfinishedGroupCreates(shared.redis, shared.keys) : undefined,
  );
  const services: ScimServices = {
    users: { reader, writer },
    groups,
    userView: (baseUrl) => ({
      catalog,
      storedAttributes,
      mapping,
      groupName: (id) => directory.nameOf(id),
      groupDeleted: (id) => directory.isDeleted(id),
      parkingGroupId: config.deactivatedGroupId,
      baseUrl,
      ...(addressMapping.mapped ? { addresses: addressMapping } : {}),
    }),
    pageSize: PAGE_SIZE,
  };

  declareResources();

  const app = express();
  app.set("etag", false);
  app.set("x-powered-by", false);
  // TRUST_PROXY names the proxies whose X-Forwarded-* headers are believed. Without it, the
  // scheme of absolute URLs may still come from a loopback proxy (no PUBLIC_BASE_URL), but the
  // client address for the per-address limits never comes from a header.
  app.set("trust proxy", config.trustProxy ?? (config.publicBaseUrl ? false : "loopback"));
  const addressOf = (req: Request) => clientAddress(req, config.trustProxy !== null);
  const checkToken =
    givenAuthenticate ??
    authenticate(new StaticTokens(config.bearerTokens), config.jwt ? new JwtVerifier(config.jwt) : null, {
      // Replicas count an address's failures together, in Redis (keys per store).
      throttle: addressLimiter("auth-failures", perMinute(config.limits.authFailures), shared, logger),
      addressOf,
    });
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
  app.get("/metrics", checkToken, metrics.handler);

  const scim = express.Router();
  // Replicas: a request another replica passed on carries a hop credential instead of the IdP's
  // token (http/replica-hop.ts); it is checked first, and its answer signed.
  const hops = shared && replica ? replica.hops : undefined;
  if (hops && shared) scim.use(hops.accept(() => shared.leadership.id));
  // One deadline per request, from the moment it enters (SCIM_REQUEST_BUDGET_MS); a checked hop
  // brings what the follower had left of its own.
  scim.use(enterRequestDeadline(config.requestBudgetMs));
  scim.use(metrics.track);
  scim.use(ReplicaHops.orAuthenticate(checkToken));
  scim.use(enterRequestScope);
  // The IdP's connection is busy until the answer is done: the client's batch lanes expect it.
  if (connections) scim.use(serveIdpConnection(connections));
  scim.use(jsonBody(config.bodyLimit));
  if (hops) scim.use(hops.checkBody);
  // Replicas: a follower passes the (checked) request to the leader, where batches fill.
  const forwarder = hops && shared && config.redis?.forwarding ? forwardToLeader(shared.leadership, logger, { hops, ...(replica?.ca !== undefined ? { ca: replica.ca } : {}) }) : undefined;
  if (forwarder) scim.use(forwarder.middleware);
  // Audited where the work is done: on the leader, once.
  scim.use(auditWrites(trail));
  scim.use((_req, res, next) => {
    res.setHeader("Content-Type", SCIM_CONTENT_TYPE);
    next();
  });
  scim.use(methodGuard);
  scim.use(resourceIdGuard);
  scim.use(filterGuard);
  scim.use(queryGuard);
  scim.use(patchPathGuard);
  scim.use(preconditions(services, (req) => baseUrlOf(config, basePath, req)));
  // Discovery is this app's own (its stored attributes, its base URL), not scimmy's global registry.
  scim.use(discoveryRouter(new Discovery({ storedAttributes, mapping, maxResults: PAGE_SIZE.max, addressTypes: addressMapping.types }), (req) => baseUrlOf(config, basePath, req)));
  scim.use(
    new SCIMMYRouters({
      type: "bearer",
      docUri: "https://github.com/scim-bigcommerce-bridge/scim-bigcommerce-bridge/blob/main/docs/identity-providers.md",
      handler: async () => undefined as unknown as string, // authentication already happened above, with WWW-Authenticate
      // scimmy keeps this base path process-global; nothing of ours reads it (locations come from
      // the context's baseUrl), so tenants served by one process cannot see each other's.
      baseUri: (req: Request) => originOf(config, req),
      context: (req: Request) => ({
        services,
        baseUrl: baseUrlOf(config, basePath, req),
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
      // Every sign-in start costs the IdP a round trip and every callback the store's quota.
      limitSignIns(addressLimiter("sign-ins", perMinute(config.limits.ssoRequests), shared, logger), addressOf, config.sso.storefrontUrl),
      createSso({
        sso: config.sso,
        publicBaseUrl: config.publicBaseUrl === null ? null : `${config.publicBaseUrl}${basePath}`,
        lockoutChannelId: config.lockoutChannelId,
        deactivatedGroupId: config.deactivatedGroupId,
        defaultChannelIds: config.defaultChannelIds,
        clientAddressKnown: config.trustProxy !== null,
        storeHash: config.bigcommerce?.storeHash ?? storeHash ?? "",
        client,
        index,
        catalog,
        reader,
        writer,
        view: services.userView(`${config.publicBaseUrl ?? ""}${basePath}${SCIM_BASE_PATH}`),
        logger,
        audit: trail,
      }),
    );
  } else {
    app.use(SSO_BASE_PATH, ssoNotConfigured());
  }
  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  // The background refresh starts last: nothing after it can fail. Started before a step that
  // then failed (the index repair's reads, in a BigCommerce outage), its interval would outlive
  // the bridge that was never built, one more at every retry of a tenant's build.
  directory.start();
  return {
    app,
    services,
    metrics,
    settled: (withinMs) => index.settled(withinMs),
    close: async () => {
      directory.stop();
      // A forwarder that fails to close must not keep the index writes from ending (nor its caller from closing the client).
      try {
        await forwarder?.close();
      } finally {
        // Answered creates' index entries still on their way: a few seconds, not the drain's whole limit.
        await index.settled(INDEX_SETTLE_ON_CLOSE_MS);
        // Those still trying after that stop: the client closes next.
        index.close();
      }
    },
  };
}
