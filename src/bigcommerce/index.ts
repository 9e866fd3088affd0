/** Public surface of the BigCommerce client. */
export * from "./api.js";
export type { Channel, ChannelLoginSettings, ChannelsApi } from "./channels.js";
export { toCustomerId, toCustomerGroupId, nonEmpty } from "./ids.js";
export { metInStore } from "./create-batcher.js";
export { sameAddress } from "./addresses.js";
export { createBigCommerceClient, type BigCommerceClientConfig, type BigCommerceClientHandle } from "./client.js";
export {
  BigCommerceError,
  RateLimitedError,
  UpstreamUnavailableError,
  ValidationFailedError,
  ConflictError,
  NotFoundError,
  AuthenticationError,
  UnexpectedResponseError,
  InvalidQueryError,
  OutcomeUnknownError,
  isBigCommerceError,
  type BigCommerceErrorCode,
  type FieldError,
} from "./errors.js";
export { systemClock, type Clock } from "./clock.js";
export { boundedBy, currentDeadline, RequestBudgetSpentError, runWithDeadline, runWithoutDeadline, type RequestDeadline } from "./deadline.js";
export { currentWriteGuard } from "./write-guard.js";
export { RateGovernor, type GovernorState, type RateGovernorOptions } from "./governor.js";
export { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy, type RetryDecision, type RetryInput } from "./retry-policy.js";
export { buildQuery } from "./query.js";
export { IdpConnections } from "./arrivals.js";
export type { CallRecord, TransportStats } from "./transport.js";
export { CallCounter, runWithCallTally, type CallTally } from "./call-tally.js";
