import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // Redis-backed replica tests have their own script (npm run test:replicas).
    exclude: [...configDefaults.exclude, "test/replicas/**"],
    // Tests run real HTTP servers on loopback; two cores, so keep parallelism modest.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
