import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { authenticate, type FailureThrottle } from "../auth/authenticate.js";
import { JwtVerifier } from "../auth/jwt-verifier.js";
import type { ComposedBridge } from "../compose.js";
import { ConfigError, IDP_REQUEST_BUDGET_MS } from "../config.js";
import { Readiness, reasonOf } from "../http/readiness.js";
import { noteEntry } from "../http/request-deadline.js";
import { ScimError } from "../scim/errors.js";
import { SharedStateUnavailableError } from "../shared-state/errors.js";
import type { TenantSetup } from "./tenant-config.js";

/** How soon a request refused while its tenant is rebuilt may try again (the old bridge's drain has no foreseeable end). */
const REBUILD_RETRY_AFTER_S = 5;

/** One built bridge of a tenant; a changed tenant gets a new one once this one's requests finished. */
interface Generation {
  composed: ComposedBridge;
  readiness: Readiness;
  inFlight: number;
  retiring: boolean;
  idle: (() => void) | undefined;
}

export interface TenantDeps {
  logger: Logger;
  /** `authenticate`: the tenant's own check of its callers (Tenant.auth), for its app's unproven requests. */
  build(setup: TenantSetup, logger: Logger, authenticate: RequestHandler): Promise<ComposedBridge>;
  /** A tenant whose bridge could not be built (credentials refused, store unreachable) is tried again this often. */
  retryMs: number;
  /** Failed authentications of the process (src/tenants/front.ts), counted per client address. */
  failures?: FailureThrottle;
  /** A retiring generation's requests get this long to finish before it is closed anyway. */
  drainMs?: number;
}

export type TenantHealth = { ready: true } | { ready: false; reason: string };

/**
 * A tenant: its credentials check (from the file, so it answers even while its bridge is down)
 * and the bridge built for its store (src/compose.ts), which gives it its own client, governor,
 * caches, locks, recent reads and create memory. Rebuilds and retirement wait for the requests in
 * flight; requests that arrive meanwhile wait for the new bridge, within their own deadline
 * (SCIM_REQUEST_BUDGET_MS from when they arrived, which the bridge then counts from too).
 */
export class Tenant {
  /** Authorization of the tenant's SCIM API, by its own tokens (and JWT settings) only. */
  auth: RequestHandler;
  private generation: Generation | undefined;
  private failure: { reason: string; at: number } | undefined;
  private pending: Promise<void> | undefined;
  private closed = false;
  private readonly logger: Logger;

  constructor(
    private setup: TenantSetup,
    private readonly deps: TenantDeps,
  ) {
    this.logger = deps.logger.child({ tenant: setup.id });
    this.auth = authOf(setup, deps.failures);
    this.enqueue(() => this.build());
  }

  get id(): string {
    return this.setup.id;
  }

  get fingerprint(): string {
    return this.setup.fingerprint;
  }

  /** Built (or failed to build) for the first time. */
  async settled(): Promise<void> {
    await this.whenIdle();
  }

  /** The registry of the serving bridge's metrics, if one serves. */
  metricsRegistry(): ComposedBridge["bridge"]["metrics"]["registry"] | undefined {
    return this.generation?.composed.bridge.metrics.registry;
  }

  /** The process listens at `url`: with replicas, the serving bridge takes part in leadership (compose.ts). */
  async serving(url: string): Promise<void> {
    await this.generation?.composed.serving(url);
  }

  /** Whether the tenant has storefront sign-in (its sign-in routes are public anyway: storefronts link to them). */
  get signInConfigured(): boolean {
    return this.setup.config.sso !== null;
  }

  /**
   * Serves an authenticated request (the caller ran `auth`), or answers 503 while the tenant's
   * store fails. A request whose caller has not proved to be the tenant's (a replica hop, checked
   * by the bridge; a browser's sign-in) goes to `unproven` instead, which tells nothing of the reason.
   */
  async serve(req: Request, res: Response, next: NextFunction, unproven?: RequestHandler): Promise<void> {
    // The request's one deadline starts now (the bridge's request-deadline.ts counts from here):
    // the old bridge's requests may run for up to the drain bound, longer than an IdP waits.
    const enteredAt = Date.now();
    noteEntry(req, enteredAt);
    const deadline = enteredAt + this.setup.config.requestBudgetMs;
    for (;;) {
      if (!(await this.whenIdle(deadline))) {
        if (unproven) {
          void unproven(req, res, next);
          return;
        }
        return next(
          new ScimError(503, null, "This tenant is being rebuilt (the tenants file changed) and was not ready within the request's time budget (SCIM_REQUEST_BUDGET_MS); retry later", {
            "Retry-After": String(REBUILD_RETRY_AFTER_S),
          }),
        );
      }
      const generation = this.generation;
      if (generation === undefined) {
        if (unproven) {
          void unproven(req, res, next);
          return;
        }
        if (this.closed) return next(new ScimError(503, null, "This tenant is being removed", { "Retry-After": "10" }));
        const reason = this.failure?.reason ?? "it is starting";
        // The caller proved it is this tenant's: it may learn why its store is out of reach.
        return next(new ScimError(503, null, `This tenant's BigCommerce store cannot be used: ${reason}`, { "Retry-After": String(Math.ceil(this.deps.retryMs / 1000)) }));
      }
      if (generation.retiring) continue; // a rebuild began between the wait and now
      if (res.destroyed) {
        // The caller hung up while its request waited here (its tenant's rebuild) or in front (a
        // JWT's check): nobody reads the answer, and its "close" has come and gone, so counted in
        // flight it would never leave, and this bridge's retirement would wait out the whole drain
        // bound. Not served: nothing is written for a request whose IdP has given up on it.
        this.logger.info({ method: req.method }, "a request whose caller went away before its tenant could serve it was not served");
        return;
      }
      generation.inFlight += 1;
      res.once("close", () => {
        generation.inFlight -= 1;
        if (generation.inFlight === 0) generation.idle?.();
      });
      generation.composed.bridge.app(req, res, next);
      return;
    }
  }

  /** The file changed this tenant: the current bridge finishes its requests and closes, then a new one is built. */
  replace(setup: TenantSetup): void {
    this.setup = setup;
    this.auth = authOf(setup, this.deps.failures);
    this.enqueue(async () => {
      await this.retire();
      await this.build();
    });
  }

  /** A tenant whose store failed is tried again once `retryMs` has passed. */
  retryIfDue(now = Date.now()): void {
    if (this.closed || this.pending || this.generation || !this.failure) return;
    if (now - this.failure.at >= this.deps.retryMs) this.enqueue(() => this.build());
  }

  /** Removed from the file (or the process stops): requests in flight finish, then everything closes. */
  async close(): Promise<void> {
    this.closed = true;
    this.enqueue(() => this.retire());
    await this.whenIdle();
  }

  /** Not waiting for a rebuild: a probe has a short timeout. */
  async health(): Promise<TenantHealth> {
    const generation = this.generation;
    if (!generation) return { ready: false, reason: this.failure?.reason ?? (this.pending ? "being built" : "not serving") };
    const check = await generation.readiness.check();
    return check.ready ? { ready: true } : { ready: false, reason: check.reason ?? "not ready" };
  }

  /** Waits until no change is pending; with `until` (Date.now() ms), no longer: false if one still is. */
  private async whenIdle(until = Number.POSITIVE_INFINITY): Promise<boolean> {
    while (this.pending) {
      const left = until - Date.now();
      if (left <= 0) return false;
      if (!Number.isFinite(left)) {
        await this.pending;
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
        timer.unref();
      });
      await Promise.race([this.pending, timedOut]);
      clearTimeout(timer);
    }
    return true;
  }

  private enqueue(step: () => Promise<void>): void {
    const run: Promise<void> = (this.pending ?? Promise.resolve())
      .then(step)
      .catch((err: unknown) => this.logger.error({ err }, "tenant change failed"))
      .finally(() => {
        if (this.pending === run) this.pending = undefined;
      });
    this.pending = run;
  }

  private async build(): Promise<void> {
    if (this.closed) return;
    try {
      const composed = await this.deps.build(this.setup, this.logger, tenantAppAuthentication(this.setup.id, this.auth));
      composed.bridge.metrics.registry.setDefaultLabels({ tenant: this.setup.id });
      this.generation = {
        composed,
        readiness: new Readiness({ client: composed.client, ...(composed.shared ? { redis: composed.shared.redis } : {}) }),
        inFlight: 0,
        retiring: false,
        idle: undefined,
      };
      this.failure = undefined;
      this.logger.info({ storeHash: this.setup.upstream.storeHash }, "tenant serving");
    } catch (err) {
      const reason = failureReason(err);
      this.failure = { reason, at: Date.now() };
      this.logger.error({ reason, retryInSeconds: Math.ceil(this.deps.retryMs / 1000) }, "tenant cannot be served; its requests answer 503 until its store can be used");
    }
  }

  private async retire(): Promise<void> {
    const generation = this.generation;
    if (!generation) return;
    this.generation = undefined;
    generation.retiring = true;
    if (generation.inFlight > 0) {
      const drainMs = this.deps.drainMs ?? IDP_REQUEST_BUDGET_MS + 5_000;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.logger.warn({ inFlight: generation.inFlight }, "tenant requests still running after the drain bound; closing its bridge anyway");
          resolve();
        }, drainMs);
        generation.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await generation.composed.close();
  }
}

/**
 * Requests the front authenticated (`Tenant.auth`), with the tenant they proved to be: the tenant's
 * app lets them through, so a token (or JWT) is checked once per request and a failure counted once.
 */
const proven = new WeakMap<Request, string>();

function authOf(setup: TenantSetup, failures: FailureThrottle | undefined): RequestHandler {
  const check = authenticate(setup.tokens, setup.config.jwt ? new JwtVerifier(setup.config.jwt) : null, failures);
  return (req, res, next) =>
    check(req, res, (err?: unknown) => {
      if (err === undefined) proven.set(req, setup.id);
      next(err);
    });
}

/**
 * The authentication of a tenant's own app (its SCIM API and /metrics, src/app.ts): a request the
 * front authenticated for this tenant passes as it is; any other that reaches the app (a replica
 * hop header where the tenant has no replicas: the front leaves those to the app) goes through
 * the tenant's own check (`check`, Tenant.auth: the same tokens, JWT keys and failure count).
 */
function tenantAppAuthentication(id: string, check: RequestHandler): RequestHandler {
  return (req, res, next) => (proven.get(req) === id ? next() : check(req, res, next));
}

/** Why a tenant's bridge could not be built, for its callers and operators (never an upstream message or a secret). */
function failureReason(err: unknown): string {
  if (err instanceof ConfigError) return err.message.replace(/^Invalid configuration:\n\s*/, "").replace(/\n\s*/g, "; ");
  if (err instanceof SharedStateUnavailableError) return "Redis is not answering";
  return reasonOf(err);
}
