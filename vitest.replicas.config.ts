import { defineConfig } from "vitest/config";

/**
 * Tests against a real redis-server (replicas sharing state): `npm run test:replicas`. They
 * stop and restart Redis and wait for leases and quota windows, so they stay out of `npm test`.
 */
export default defineConfig({
  test: {
    include: ["test/replicas/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
