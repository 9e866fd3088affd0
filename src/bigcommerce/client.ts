/**
 * createBigCommerceClient(config): the one object through which the bridge talks to a store.
 * Wires one HTTP pool, one rate governor and one set of concurrency caps per store, the retry
 * policy, the typed endpoints and the write batcher, behind the `BigCommerceClient` contract.
 */
import type { Logger } from "pino";
import { z } from "zod";
import { CUSTOMER_INCLUDE, type BigCommerceClient } from "./api.js";
import type {
  AddressCreate,
  AddressUpdate,
  AttributeValueUpsert,
  CustomerAddress,
  CustomerAttributeValue,
  Metafield,
  MetafieldCreate,
} from "./api.js";
import { ADDRESSES_PER_CALL, AddressesEndpoint } from "./addresses.js";
import { AttributeValuesEndpoint, MAX_ATTRIBUTE_VALUES_PER_CALL } from "./attribute-values.js";
import { Arrivals, IdpConnections } from "./arrivals.js";
import { AttributesEndpoint } from "./attributes.js";
import { ChannelsEndpoint } from "./channels.js";
import { CustomerWriteBatcher } from "./batcher.js";
import { systemClock, type Clock } from "./clock.js";
import { ConcurrencyLimiter } from "./concurrency.js";
import { CustomerGroupsEndpoint } from "./customer-groups.js";
import { CustomersEndpoint } from "./customers.js";
import { UpstreamUnavailableError } from "./errors.js";
import { RateGovernor, type GovernorState, type PermitSource } from "./governor.js";
import { HttpClient } from "./http.js";
import { MergedReads } from "./merged-reads.js";
import { METAFIELDS_PER_CALL, MetafieldsEndpoint } from "./metafields.js";
import { SharedWrites } from "./shared-writes.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-policy.js";
import { defaultLateWriteGraceMs, UPSTREAM_DEFAULTS } from "./defaults.js";
import { Transport, type CallRecord, type TransportStats } from "./transport.js";
import type { UnsettledCreates } from "./unsettled-creates.js";

const configSchema = z.object({
  /** `https://api.bigcommerce.com`, or the emulator's base URL. */
  apiUrl: z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), "must be an http(s) URL"),
  storeHash: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a BigCommerce store hash"),
  accessToken: z.string().min(1, "must not be empty"),
  /** Bound on one HTTP exchange (headers and body). */
  requestTimeoutMs: z.number().int().positive().default(UPSTREAM_DEFAULTS.requestTimeoutMs),
  /** Bound on establishing a connection (default: min(5000, requestTimeoutMs)). */
  connectTimeoutMs: z.number().int().positive().optional(),
  /** Longest a call waits for rate budget, concurrency slots and backoff before RateLimitedError. */
  maxWaitMs: z.number().int().nonnegative().default(UPSTREAM_DEFAULTS.maxWaitMs),
  /** Requests per window left for other apps sharing the store's quota. */
  reserve: z.number().int().nonnegative().default(UPSTREAM_DEFAULTS.reserve),
  /** Quota to assume before the first response (otherwise one probe request learns it). */
  assumedQuota: z.number().int().positive().optional(),
  retry: z.custom<Partial<RetryPolicy>>((v) => v === undefined || (typeof v === "object" && v !== null)).optional(),
  /**
   * After a customer update timed out (its write may still land), later updates of that
   * customer wait this long (default: defaults.ts).
   */
  lateWriteGraceMs: z.number().int().nonnegative().optional(),
  /** Clock difference tolerated when deciding a found customer was created by our lost POST. */
  createdToleranceMs: z.number().int().nonnegative().optional(),
  /** How long the write batcher collects concurrent creates/updates before sending. */
  batchWindowMs: z.number().nonnegative().default(UPSTREAM_DEFAULTS.batchWindowMs),
  /**
   * Share of the quota that may go in one burst; the rest is paced at the quota's rate so busy
   * batch queues fill their calls (governor.ts). 0 = no pacing.
   */
  paceBurstShare: z.number().min(0).max(1).default(UPSTREAM_DEFAULTS.paceBurstShare),
  /** Upstream connections in the pool. */
  connections: z.number().int().positive().default(UPSTREAM_DEFAULTS.connections),
  logger: z.custom<Logger>((v) => v === undefined || (typeof v === "object" && v !== null && "debug" in v)).optional(),
  clock: z.custom<Clock>((v) => v === undefined || (typeof v === "object" && v !== null && "now" in v && "sleep" in v)).optional(),
  /** Called after every upstream exchange (metrics, tests). */
  onCall: z.custom<(record: CallRecord) => void>((v) => v === undefined || typeof v === "function").optional(),
  /** Jitter source for retry backoff (tests pass a constant). */
  random: z.custom<() => number>((v) => v === undefined || typeof v === "function").optional(),
  /**
   * Where every request's slot comes from instead of this process's governor: replicas pass the
   * quota gate they share (src/shared-state). The governor is then not consulted and learns
   * nothing, so governorState() shows its initial view only.
   */
  permits: z.custom<PermitSource>((v) => v === undefined || (typeof v === "object" && v !== null && "acquire" in v)).optional(),
  /**
   * Whether customer reads (`get`, `findByEmails`) include the customer's addresses: only when
   * the bridge maps SCIM addresses (the same call either way, a slightly larger answer).
   */
  readAddresses: z.boolean().default(false),
  /**
   * The IdP connections the bridge's HTTP layer is serving (compose.ts): batch lanes hold a call
   * that is not full for those about to arrive (batch-lane.ts). Absent: no such hold.
   */
  idpConnections: z.custom<IdpConnections>((v) => v === undefined || v instanceof IdpConnections).optional(),
  /** Memory of creates without a definite answer (default: in this process; replicas share one). */
  unsettledCreates: z
    .custom<UnsettledCreates>((v) => v === undefined || (typeof v === "object" && v !== null && "recall" in v))
    .optional(),
});

export type BigCommerceClientConfig = z.input<typeof configSchema>;

/** The contract plus what operators and tests want to observe. */
export interface BigCommerceClientHandle extends BigCommerceClient {
  /** Upstream calls so far: total, per endpoint, per status, retries. */
  stats(): TransportStats;
  /** What the rate governor currently believes about the store's budget. */
  governorState(): GovernorState;
}

export function createBigCommerceClient(input: BigCommerceClientConfig): BigCommerceClientHandle {
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    // zod messages name the field and the rule, never the value: the token cannot leak here.
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`).join("; ");
    throw new Error(`invalid BigCommerce client configuration: ${problems}`);
  }
  const config = parsed.data;
  const clock = config.clock ?? systemClock;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...(config.retry ?? {}) };

  const http = new HttpClient({
    apiUrl: config.apiUrl,
    storeHash: config.storeHash,
    accessToken: config.accessToken,
    requestTimeoutMs: config.requestTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs ?? Math.min(5000, config.requestTimeoutMs),
    connections: config.connections,
  });
  const governor = new RateGovernor({
    clock,
    reserve: config.reserve,
    maxWaitMs: config.maxWaitMs,
    bare429: { baseMs: policy.bare429BaseDelayMs, maxMs: policy.bare429MaxDelayMs },
    ...(config.paceBurstShare > 0 ? { paceBurstShare: config.paceBurstShare } : {}),
    ...(config.assumedQuota !== undefined ? { assumedQuota: config.assumedQuota } : {}),
  });
  const permits: PermitSource = config.permits ?? governor;
  // Who is due back at which batch lane, and how long an upstream exchange takes (batch-lane.ts).
  const arrivals = new Arrivals(config.idpConnections);
  const onCall = config.onCall;
  const transport = new Transport({
    http,
    governor,
    permits,
    limiter: new ConcurrencyLimiter(),
    policy,
    clock,
    maxWaitMs: config.maxWaitMs,
    ...(config.logger ? { logger: config.logger } : {}),
    ...(config.random ? { random: config.random } : {}),
    onCall: (record) => {
      arrivals.observeExchange(record.ms);
      onCall?.(record);
    },
  });

  const customers = new CustomersEndpoint(transport);
  const batcher = new CustomerWriteBatcher({
    writes: customers,
    clock,
    permits,
    slots: (method) => transport.slotsFor(method, "v3", "/customers"),
    arrivals,
    windowMs: config.batchWindowMs,
    maxWaitMs: config.maxWaitMs,
    // Writes back off longer than reads (BigCommerce's advice for 5xx).
    resendBaseDelayMs: policy.baseDelayMs * 2,
    resendMaxDelayMs: policy.maxDelayMs,
    // A write BigCommerce is still processing when we give up usually lands within another
    // request timeout; twice that covers a slow store without holding updates back for long.
    lateWriteGraceMs: config.lateWriteGraceMs ?? defaultLateWriteGraceMs(config.requestTimeoutMs),
    requestTimeoutMs: config.requestTimeoutMs,
    clockSkewMs: () => transport.clockSkewMs(),
    ...(config.createdToleranceMs !== undefined ? { createdToleranceMs: config.createdToleranceMs } : {}),
    ...(config.unsettledCreates ? { unsettledCreates: config.unsettledCreates } : {}),
  });
  const reads = new MergedReads({
    reads: customers,
    clock,
    permits,
    slots: transport.slotsFor("GET", "v3", "/customers"),
    arrivals,
    maxWaitMs: config.maxWaitMs,
    include: config.readAddresses ? [...CUSTOMER_INCLUDE, "addresses"] : CUSTOMER_INCLUDE,
  });
  const attributes = new AttributesEndpoint(transport);
  const attributeValues = new AttributeValuesEndpoint(transport);
  const metafields = new MetafieldsEndpoint(transport);
  const valueKey = (v: { customer_id: number; attribute_id: number }) => `${v.customer_id}:${v.attribute_id}`;
  const valueWrites = new SharedWrites<AttributeValueUpsert, CustomerAttributeValue>({
    clock,
    permits,
    maxWaitMs: config.maxWaitMs,
    maxBatch: MAX_ATTRIBUTE_VALUES_PER_CALL,
    slots: transport.slotsFor("PUT", "v3", "/customers/attribute-values"),
    arrivals,
    send: async (items, grant) => {
      const written = new Map((await attributeValues.upsert(items, grant ? { grant } : {})).map((w) => [valueKey(w), w]));
      return items.map(
        (i) => written.get(valueKey(i)) ?? { id: 0, customer_id: i.customer_id, attribute_id: i.attribute_id, attribute_value: i.value },
      );
    },
  });
  const metafieldCreates = new SharedWrites<MetafieldCreate, Metafield | undefined>({
    clock,
    permits,
    maxWaitMs: config.maxWaitMs,
    maxBatch: METAFIELDS_PER_CALL,
    slots: transport.slotsFor("POST", "v3", "/customers/metafields"),
    arrivals,
    send: async (items, grant) => {
      const written = await metafields.create(items, grant ? { grant } : {});
      return items.map((i) => written.find((w) => w.resource_id === i.resource_id && w.namespace === i.namespace && w.key === i.key));
    },
  });
  // Address writes of concurrent requests share calls, like attribute values (shared-writes.ts).
  const addresses = new AddressesEndpoint(transport);
  const addressCreates = new SharedWrites<AddressCreate, CustomerAddress | undefined>({
    clock,
    permits,
    maxWaitMs: config.maxWaitMs,
    maxBatch: ADDRESSES_PER_CALL,
    slots: transport.slotsFor("POST", "v3", "/customers/addresses"),
    arrivals,
    send: (items, grant) => addresses.create(items, grant ? { grant } : {}),
  });
  const addressUpdates = new SharedWrites<AddressUpdate, CustomerAddress | undefined>({
    clock,
    permits,
    maxWaitMs: config.maxWaitMs,
    maxBatch: ADDRESSES_PER_CALL,
    slots: transport.slotsFor("PUT", "v3", "/customers/addresses"),
    arrivals,
    send: (items, grant) => addresses.update(items, grant ? { grant } : {}),
  });
  const addressDeletes = new SharedWrites<number, undefined>({
    clock,
    permits,
    maxWaitMs: config.maxWaitMs,
    maxBatch: 50,
    slots: transport.slotsFor("DELETE", "v3", "/customers/addresses"),
    arrivals,
    send: async (ids, grant) => {
      await addresses.delete(ids, grant ? { grant } : {});
      return ids.map(() => undefined);
    },
  });
  const groups = new CustomerGroupsEndpoint(transport);
  let closed = false;

  return {
    customers: {
      list: (query, signal) => customers.list(query, signal),
      create: (item) => batcher.create(item),
      update: (item) => batcher.update(item),
      delete: (ids) => customers.delete(ids),
      get: (id) => reads.get(id),
      findByEmails: (emails) => reads.findByEmails(emails),
    },
    attributes: {
      list: () => attributes.list(),
      create: (items) => attributes.create(items),
    },
    attributeValues: {
      upsert: (items) => attributeValues.upsert(items),
      upsertOne: (item) => valueWrites.submit(item),
      list: (query) => attributeValues.list(query),
      delete: (ids) => attributeValues.delete(ids),
    },
    addresses: {
      createOne: (item) => addressCreates.submit(item),
      updateOne: (item) => addressUpdates.submit(item),
      deleteOne: (id) => addressDeletes.submit(id),
    },
    metafields: {
      list: (query) => metafields.list(query),
      create: (items) => metafields.create(items),
      createOne: (item) => metafieldCreates.submit(item),
      update: (items) => metafields.update(items),
      delete: (ids) => metafields.delete(ids),
    },
    customerGroups: {
      list: (query) => groups.list(query),
      get: (id) => groups.get(id),
      create: (groupInput) => groups.create(groupInput),
      update: (id, groupInput) => groups.update(id, groupInput),
      delete: (id) => groups.delete(id),
      count: () => groups.count(),
    },
    channels: new ChannelsEndpoint(transport),
    stats: () => transport.stats(),
    governorState: () => governor.state(),
    async close() {
      if (closed) return;
      closed = true;
      const error = new UpstreamUnavailableError("BigCommerce client is closed");
      batcher.close(error);
      reads.close(error);
      valueWrites.close(error);
      metafieldCreates.close(error);
      addressCreates.close(error);
      addressUpdates.close(error);
      addressDeletes.close(error);
      governor.close();
      await http.close();
    },
  };
}
