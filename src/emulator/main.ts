/**
 * Standalone emulator: `npm run emulator`. Configured by environment variables, validated
 * up front so that a typo stops start-up with a clear message instead of a surprising default.
 */
import { z } from "zod";
import { startEmulator } from "./index.js";

const integer = (name: string, fallback: number, min: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === "") return fallback;
      if (!/^\d+$/.test(value) || Number(value) < min) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer >= ${min}, got "${value}"` });
        return z.NEVER;
      }
      return Number(value);
    });

const envSchema = z.object({
  EMULATOR_PORT: integer("EMULATOR_PORT", 4010, 0).refine((p) => p <= 65535, "EMULATOR_PORT must be <= 65535"),
  EMULATOR_HOST: z.string().min(1).default("127.0.0.1"),
  EMULATOR_RATE_QUOTA: integer("EMULATOR_RATE_QUOTA", 150, 1),
  EMULATOR_RATE_WINDOW_MS: integer("EMULATOR_RATE_WINDOW_MS", 30_000, 1),
  EMULATOR_LATENCY_MS: integer("EMULATOR_LATENCY_MS", 0, 0),
});

async function main(): Promise<void> {
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    console.error(`emulator: invalid configuration\n${parsed.error.issues.map((i) => `  - ${i.message}`).join("\n")}`);
    process.exit(1);
  }
  const env = parsed.data;
  const emulator = await startEmulator({
    port: env.EMULATOR_PORT,
    host: env.EMULATOR_HOST,
    rateQuota: env.EMULATOR_RATE_QUOTA,
    rateWindowMs: env.EMULATOR_RATE_WINDOW_MS,
    latencyMs: env.EMULATOR_LATENCY_MS,
  });
  console.log(
    [
      `BigCommerce emulator listening on ${emulator.url} (quota ${env.EMULATOR_RATE_QUOTA} per ${env.EMULATOR_RATE_WINDOW_MS} ms; data is in memory and lost when it stops)`,
      `  Point the bridge at it with BIGCOMMERCE_API_URL=${emulator.url} (not .../stores/{hash}/v3),`,
      "  plus any BIGCOMMERCE_STORE_HASH (letters and digits) and any BIGCOMMERCE_ACCESS_TOKEN: it accepts all of them.",
      `  Control API (no auth): ${emulator.url}/__emulator/requests, /reset, /faults, /options (see docs/emulator.md).`,
    ].join("\n"),
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`emulator: ${signal} received, shutting down`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("emulator: error while closing", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("emulator: failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
