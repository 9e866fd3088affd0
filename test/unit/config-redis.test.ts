import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";

describe("REDIS_URL configuration", () => {
  it("is off by default: state stays in the process", () => {
    expect(loadConfig({}).redis).toBeNull();
  });

  it.each(["redis://127.0.0.1:6379", "redis://:s3cret@redis:6379/0", "rediss://user:s3cret@redis.example.com:6380"])(
    "accepts %s",
    (url) => {
      expect(loadConfig({ REDIS_URL: url }).redis).toEqual({ url, commandTimeoutMs: 1000, lockLeaseMs: 30000, forwarding: true, replicaUrl: null, replicaSecret: null, replicaCaFile: null });
    },
  );

  it("takes REPLICA_URL (how the other replicas reach this one) and REPLICA_FORWARDING", () => {
    expect(loadConfig({ REDIS_URL: "redis://r:6379", REPLICA_URL: "http://10.1.2.3:8080/", REPLICA_FORWARDING: "off" }).redis).toMatchObject({
      forwarding: false,
      replicaUrl: "http://10.1.2.3:8080",
    });
    expect(() => loadConfig({ REDIS_URL: "redis://r:6379", REPLICA_URL: "10.1.2.3:8080" })).toThrow(/REPLICA_URL/);
    expect(() => loadConfig({ REDIS_URL: "redis://r:6379", REPLICA_FORWARDING: "maybe" })).toThrow(/REPLICA_FORWARDING/);
  });

  it("takes REPLICA_SECRET (32+ characters; empty = derived from the access token) and REPLICA_CA", () => {
    const secret = "a-replica-secret-of-at-least-32-characters";
    expect(loadConfig({ REDIS_URL: "redis://r:6379", REPLICA_SECRET: secret, REPLICA_CA: "/etc/bridge/replica-ca.pem" }).redis).toMatchObject({
      replicaSecret: secret,
      replicaCaFile: "/etc/bridge/replica-ca.pem",
    });
    expect(loadConfig({ REDIS_URL: "redis://r:6379", REPLICA_SECRET: "", REPLICA_CA: "" }).redis).toMatchObject({ replicaSecret: null, replicaCaFile: null });
    expect(() => loadConfig({ REDIS_URL: "redis://r:6379", REPLICA_SECRET: "short" })).toThrow(/REPLICA_SECRET: must be at least 32 characters/);
  });

  it.each([["http://redis:6379"], ["redis:/no-host"], ["not a url"]])("refuses %s, naming the variable", (url) => {
    expect(() => loadConfig({ REDIS_URL: url })).toThrow(/REDIS_URL/);
  });

  it("reads the command timeout and lock lease", () => {
    const c = loadConfig({ REDIS_URL: "redis://r:6379", REDIS_COMMAND_TIMEOUT_MS: "250", REDIS_LOCK_LEASE_MS: "5000", BIGCOMMERCE_REQUEST_TIMEOUT_MS: "2500" });
    expect(c.redis).toMatchObject({ commandTimeoutMs: 250, lockLeaseMs: 5000 });
    expect(() => loadConfig({ REDIS_URL: "redis://r:6379", REDIS_COMMAND_TIMEOUT_MS: "0" })).toThrow(/REDIS_COMMAND_TIMEOUT_MS/);
  });
});
