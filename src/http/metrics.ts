import { isForwarded } from "./replica-hop.js";
import type { RequestHandler } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { GovernorState } from "../bigcommerce/governor.js";
import type { CallRecord } from "../bigcommerce/transport.js";

/**
 * The `resource` label: one of the endpoints the bridge serves, else "other". Never taken from
 * the URL as such, or anyone (without a token) could add label sets, and memory, at will.
 */
const RESOURCES = ["Users", "Groups", "Schemas", "ResourceTypes", "ServiceProviderConfig", "Bulk", "Me", ".search"];
export function resourceLabel(url: string): string {
  // A tenant's API is under /t/<tenant>/scim/v2 (src/tenants); the tenant is a label of its own.
  const first = /^(?:\/t\/[^/?#]+)?\/scim\/v2\/([^/?#]+)/.exec(url)?.[1]?.toLowerCase();
  return RESOURCES.find((r) => r.toLowerCase() === first) ?? "other";
}

/** Distinct attribute names with a label of their own in scim_unmapped_attributes_total. */
export const MAX_UNMAPPED_LABELS = 50;

/**
 * Prometheus metrics for operators: what the IdPs ask, what BigCommerce answers, and how much
 * of the store's quota is left. One registry per app, so several bridges in one process (tests)
 * do not share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly scimRequests: Counter<"method" | "resource" | "status">;
  private readonly scimDuration: Histogram<"method" | "resource">;
  private readonly upstreamRequests: Counter<"method" | "endpoint" | "status">;
  private readonly upstreamDuration: Histogram<"method" | "endpoint">;
  private readonly unmapped: Counter<"attribute">;
  /** The attribute names that have a label of their own (the first ones seen); the rest are "other". */
  private readonly unmappedLabels = new Set<string>();

  /**
   * `processMetrics`: the Node.js process's own metrics (CPU, memory, event loop, GC) in this
   * registry. Collecting them starts a GC observer and an event-loop-delay monitor that nothing
   * stops, so a process does it once: a tenant's bridge, built again whenever the tenants file
   * changes it, leaves them to the process's front (src/tenants/front.ts).
   */
  constructor(upstreamState?: () => GovernorState, options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.scimRequests = new Counter({
      name: "scim_requests_total",
      help: "SCIM requests answered, by method, resource type and HTTP status",
      labelNames: ["method", "resource", "status"],
      registers: [this.registry],
    });
    this.scimDuration = new Histogram({
      name: "scim_request_duration_seconds",
      help: "Time to answer a SCIM request",
      labelNames: ["method", "resource"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40],
      registers: [this.registry],
    });
    this.upstreamRequests = new Counter({
      name: "bigcommerce_requests_total",
      help: "BigCommerce API calls, by method, endpoint and status (0 = no answer)",
      labelNames: ["method", "endpoint", "status"],
      registers: [this.registry],
    });
    this.upstreamDuration = new Histogram({
      name: "bigcommerce_request_duration_seconds",
      help: "Time BigCommerce took to answer",
      labelNames: ["method", "endpoint"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [this.registry],
    });
    this.unmapped = new Counter({
      name: "scim_unmapped_attributes_total",
      help: `Attributes IdPs sent that nothing maps (not stored), by name; the first ${MAX_UNMAPPED_LABELS} names seen get a label, the rest count as "other"`,
      labelNames: ["attribute"],
      registers: [this.registry],
    });
    if (upstreamState) {
      new Gauge({
        name: "bigcommerce_rate_limit_requests_left",
        help: "Requests left in the store's current quota window, as last announced by BigCommerce",
        registers: [this.registry],
        collect() {
          const left = upstreamState().left;
          if (left !== undefined) this.set(left);
        },
      });
      new Gauge({
        name: "bigcommerce_requests_waiting_for_quota",
        help: "BigCommerce calls waiting for quota right now",
        registers: [this.registry],
        collect() {
          this.set(upstreamState().waiting);
        },
      });
    }
  }

  /** One request sent this attribute and nothing maps it. */
  recordUnmapped(name: string): void {
    if (!this.unmappedLabels.has(name) && this.unmappedLabels.size < MAX_UNMAPPED_LABELS) this.unmappedLabels.add(name);
    this.unmapped.inc({ attribute: this.unmappedLabels.has(name) ? name : "other" });
  }

  recordUpstream(record: CallRecord): void {
    const labels = { method: record.method, endpoint: record.endpoint };
    this.upstreamRequests.inc({ ...labels, status: String(record.status ?? 0) });
    this.upstreamDuration.observe(labels, record.ms / 1000);
  }

  /**
   * Counts every SCIM request when its answer is finished; a request another replica passed on
   * was counted there already (where the IdP sent it).
   */
  readonly track: RequestHandler = (req, res, next) => {
    if (isForwarded(req)) return next();
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const resource = resourceLabel(req.originalUrl);
      const labels = { method: req.method, resource };
      this.scimRequests.inc({ ...labels, status: String(res.statusCode) });
      this.scimDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  readonly handler: RequestHandler = (_req, res, next) => {
    this.registry.metrics().then((text) => {
      res.setHeader("Content-Type", this.registry.contentType);
      res.end(text);
    }, next);
  };
}
