import { pino, type Logger } from "pino";

/**
 * Paths are compiled once by pino. Anything that can carry a credential or a password is
 * censored wherever it appears in a log object, including inside logged request bodies.
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-auth-token"]',
  "headers.authorization",
  'headers["x-auth-token"]',
  "authorization",
  '["x-auth-token"]',
  "accessToken",
  "password",
  "new_password",
  "*.password",
  "*.new_password",
  "*.authentication.new_password",
  "*.*.password",
  "*.*.new_password",
  "*.accessToken",
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: { service: "scim-bigcommerce-bridge" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}
