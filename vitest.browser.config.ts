import { defineConfig } from "vitest/config";

/** `npm run test:browser`: storefront sign-in in headless Chromium (skips itself when Chromium is missing). */
export default defineConfig({
  test: {
    include: ["test/**/*.browser.ts"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
