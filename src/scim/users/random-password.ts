import { randomBytes, randomInt } from "node:crypto";

/**
 * A password nobody knows, used to lock a deactivated customer out of the storefront. It mixes
 * character classes so that a store's password-complexity setting cannot refuse it.
 */
export function unguessablePassword(): string {
  const core = randomBytes(24).toString("base64url");
  const classes = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+=?@"];
  return core + classes.map((c) => c[randomInt(c.length)]).join("");
}
