import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { Logger } from "pino";
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import type { Redis } from "ioredis";
import { perMinute, SCIM_BASE_PATH } from "../app.js";
import { authenticate, type FailureThrottle } from "../auth/authenticate.js";
import { StaticTokens } from "../auth/bearer-token.js";
import { JwtVerifier } from "../auth/jwt-verifier.js";
import type { Config } from "../config.js";
import { clientAddress } from "../http/client-address.js";
import { errorHandler, notFoundHandler } from "../http/error-handler.js";
import { HOP_HEADER } from "../http/replica-hop.js";
import { ScimError } from "../scim-error.js";
import { Keyspace } from "../shared-state/keyspace.js";
import { addressLimiter } from "../shared-state/redis-address-throttle.js";
import { ssoNotConfigured, ssoUnavailable } from "../sso/index.js";
import type { TenantSet } from "./tenant-set.js";

/** Where tenant T is served: /t/T/scim/v2 (and /t/T/sso/… for its storefront sign-in). */
export const TENANT_PATH = "/t/:tenant";

/**
 * The process's HTTP front with many tenants: routes /t/<tenant>/… to the tenant's own bridge.
 * An unknown tenant gets exactly the 401 a wrong token gets (the same authenticate() with no
 * token to match), so tenant ids cannot be probed. /healthz, /readyz and /metrics are the
 * process's: the operator's token (SCIM_BEARER_TOKENS of the environment) opens /metrics and the
 * per-tenant detail of /readyz.
 */
export class TenantsFront {
  readonly app: Express;
  readonly fileVersions: Counter<"outcome">;
  /**
   * Failed authentications, counted per client address for the whole process: every tenant's
   * token check, unknown tenants and /metrics, so guesses spread over tenants count together.
   * With REDIS_URL, for every tenants process sharing that Redis (keys of no store: Keyspace.tenantsFront).
   */
  readonly failures: FailureThrottle;
  private readonly registry = new Registry();
  private readonly operator: StaticTokens;

  constructor(
    private readonly set: () => TenantSet,
    config: Config,
    logger: Logger,
    /** The process's connection to REDIS_URL, when set. */
    redis?: Redis,
  ) {
    this.operator = new StaticTokens(config.bearerTokens);
    this.failures = {
      throttle: addressLimiter("auth-failures", perMinute(config.limits.authFailures), redis ? { redis, keys: Keyspace.tenantsFront() } : undefined, logger),
      addressOf: (req) => clientAddress(req, config.trustProxy !== null),
    };
    collectDefaultMetrics({ register: this.registry });
    this.fileVersions = new Counter({
      name: "scim_tenants_file_versions_total",
      help: "Versions of the tenants file read, by outcome: applied, or invalid (the last valid set kept serving)",
      labelNames: ["outcome"],
      registers: [this.registry],
    });
    const tenants = this.set;
    new Gauge({
      name: "scim_tenants_file_valid",
      help: "1 when the tenants file as it is now was applied, 0 when it cannot be used",
      registers: [this.registry],
      collect() {
        this.set(tenants().fileState().valid ? 1 : 0);
      },
    });
    new Gauge({
      name: "scim_tenants",
      help: "Tenants served",
      registers: [this.registry],
      collect() {
        this.set(tenants().all().length);
      },
    });

    const app = express();
    app.set("etag", false);
    app.set("x-powered-by", false);
    // As a single store's app (app.ts): TRUST_PROXY names the proxies whose X-Forwarded-For is believed.
    app.set("trust proxy", config.trustProxy ?? (config.publicBaseUrl ? false : "loopback"));
    app.get("/healthz", (_req, res) => {
      res.json({ status: "ok" });
    });
    app.get("/readyz", this.readyz);
    app.get("/metrics", authenticate(this.operator, config.jwt ? new JwtVerifier(config.jwt) : null, this.failures), this.metrics);
    const nobody = authenticate(new StaticTokens([]), null, this.failures);
    const signInOff = ssoNotConfigured();
    const signInDown = ssoUnavailable();
    // With replicas every tenant's bridge refuses a bad hop as replica-hop.ts does; where no bridge
    // checks it (an unknown tenant, a tenant whose store cannot be used) the refusal is the same.
    const hopRefused: RequestHandler = config.redis ? (_req, _res, next) => next(new ScimError(401, null, "Invalid replica credential")) : nobody;
    app.use(TENANT_PATH, (req: Request, res: Response, next: NextFunction) => {
      const tenant = this.set().get(String(req.params.tenant));
      // Storefront sign-in is a browser's, without a bearer token (its own checks are in src/sso).
      if (req.path === "/sso" || req.path.startsWith("/sso/")) {
        if (!tenant) return signInOff(req, res, next);
        // While its store cannot be used: a tenant without sign-in looks like an unknown one.
        void tenant.serve(req, res, next, tenant.signInConfigured ? signInDown : signInOff).catch(next);
        return;
      }
      // A request another replica passed on carries a hop credential instead of a token: the
      // tenant's own bridge checks it first (src/http/replica-hop.ts) and refuses a bad one with 401;
      // without a bridge, nothing checks it, and the answer is an unknown tenant's.
      // Only the SCIM API is passed on between replicas: elsewhere (/healthz, /readyz, /metrics
      // of the tenant) the header opens nothing, and the tenant's token is asked for as always.
      const scimApi = req.path === SCIM_BASE_PATH || req.path.startsWith(`${SCIM_BASE_PATH}/`);
      const hop = scimApi && req.headers[HOP_HEADER] !== undefined;
      if (!tenant) return (hop ? hopRefused : nobody)(req, res, next);
      if (hop) {
        void tenant.serve(req, res, next, hopRefused).catch(next);
        return;
      }
      tenant.auth(req, res, (err?: unknown) => {
        if (err) return next(err);
        tenant.serve(req, res, next).catch(next);
      });
    });
    app.use(notFoundHandler);
    app.use(errorHandler(logger));
    this.app = app;
  }

  /** Ready while some tenant (or none is configured) can serve; one failing tenant does not take the process out. */
  private readonly readyz: RequestHandler = (req, res, next) => {
    this.set()
      .health()
      .then((health) => {
        const all = Object.values(health);
        const failing = Object.entries(health).filter(([, h]) => !h.ready);
        const ready = all.length === 0 || failing.length < all.length;
        const file = this.set().fileState();
        const body: Record<string, unknown> = {
          ready,
          tenants: { serving: all.length - failing.length, failing: failing.length },
          tenantsFile: file.valid ? "valid" : "invalid",
        };
        // Names are for the operator only: anyone else could learn which tenants exist.
        if (this.isOperator(req)) {
          body.tenantDetail = health;
          if (!file.valid) body.tenantsFileError = { error: file.error, since: file.since };
        }
        res.status(ready ? 200 : 503).json(body);
      }, next);
  };

  private isOperator(req: Request): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
    return match !== null && this.operator.match(match[1]!) >= 0;
  }

  /** The process's metrics and every tenant's SCIM and BigCommerce series, labelled by tenant (known tenants only). */
  private readonly metrics: RequestHandler = (_req, res, next) => {
    const own = (name: string) => name.startsWith("scim_") || name.startsWith("bigcommerce_");
    Promise.all([
      this.registry.getMetricsAsJSON(),
      ...this.set()
        .all()
        .map(async (t) => (await t.metricsRegistry()?.getMetricsAsJSON()) ?? []),
    ])
      .then(([process, ...perTenant]) => {
        const merged = AggregatorRegistry.aggregate([process!, ...perTenant.map((m) => m.filter((metric) => own(metric.name)))] as MetricObjectWithValues<MetricValue<string>>[][]);
        return merged.metrics().then((text) => {
          res.setHeader("Content-Type", merged.contentType);
          res.end(text);
        });
      })
      .catch(next);
  };
}
