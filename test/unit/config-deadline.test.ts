/**
 * Start-up validation of the request budget (issue 19, items 1 and 13): the budget fits the IdPs'
 * 60 s with room for undo and the hop back from the leader; a quota wait plus one request timeout
 * fits the budget; with replicas the lock's lease is well above the longest write.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return String(error);
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe("SCIM_REQUEST_BUDGET_MS", () => {
  it("defaults to 55 s, a bit under the IdPs' 60 s; empty counts as unset", () => {
    expect(loadConfig({}).requestBudgetMs).toBe(55_000);
    expect(loadConfig({ SCIM_REQUEST_BUDGET_MS: "" }).requestBudgetMs).toBe(55_000);
    expect(loadConfig({ SCIM_REQUEST_BUDGET_MS: "20000", BIGCOMMERCE_MAX_WAIT_MS: "4000" }).requestBudgetMs).toBe(20_000);
  });

  it("refuses a budget that leaves no room for undo inside the IdPs' 60 s", () => {
    expect(refusal({ SCIM_REQUEST_BUDGET_MS: "60000" })).toMatch(/SCIM_REQUEST_BUDGET_MS: must be a whole number from 1000 to 58000/);
  });

  it("refuses a quota wait plus request timeout that does not fit in the budget (every wait would be cut short)", () => {
    expect(refusal({ SCIM_REQUEST_BUDGET_MS: "20000" })).toMatch(/BIGCOMMERCE_MAX_WAIT_MS: plus BIGCOMMERCE_REQUEST_TIMEOUT_MS is 47000 ms; keep the sum at most SCIM_REQUEST_BUDGET_MS \(20000 ms/);
  });
});

describe("REDIS_LOCK_LEASE_MS (a lease, not a fence)", () => {
  it("defaults to twice the default request timeout", () => {
    expect(loadConfig({ REDIS_URL: "redis://r:6379" }).redis?.lockLeaseMs).toBe(30_000);
  });

  it("refuses a lease a write could outlast: under twice BIGCOMMERCE_REQUEST_TIMEOUT_MS", () => {
    expect(refusal({ REDIS_URL: "redis://r:6379", REDIS_LOCK_LEASE_MS: "15000" })).toMatch(/REDIS_LOCK_LEASE_MS: must be at least 2 times BIGCOMMERCE_REQUEST_TIMEOUT_MS \(30000 ms\)/);
    expect(loadConfig({ REDIS_URL: "redis://r:6379", REDIS_LOCK_LEASE_MS: "15000", BIGCOMMERCE_REQUEST_TIMEOUT_MS: "7500" }).redis?.lockLeaseMs).toBe(15_000);
    // Without replicas there is no lease to check.
    expect(loadConfig({ REDIS_LOCK_LEASE_MS: "1000" }).redis).toBeNull();
  });
});
