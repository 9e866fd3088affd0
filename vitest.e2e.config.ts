import { defineConfig } from "vitest/config";

/** Process-level tests that need a compiled build (`npm run test:e2e`); slower than `npm test`. */
export default defineConfig({
  test: {
    include: ["test/**/*.e2e.ts"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
