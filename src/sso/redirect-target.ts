import { SsoRefusal } from "./refusals.js";

export const DEFAULT_REDIRECT = "/account.php";
const MAX_LENGTH = 2048;

/**
 * `redirect_to` as BigCommerce accepts it: a relative path on the storefront. Anything that a
 * browser could resolve to another origin (`//host`, `/\host`, a scheme, control characters,
 * percent-encoded slashes at the start) is refused, so /sso/login is no open redirect.
 */
export function redirectTargetOf(raw: unknown): string {
  if (raw === undefined || raw === "") return DEFAULT_REDIRECT;
  if (typeof raw !== "string" || raw.length > MAX_LENGTH) throw new SsoRefusal("redirect_not_allowed");
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (!/^\/(?![/\\])/.test(raw) || /[\u0000-\u001f\u007f\\]/.test(raw) || /^\/%(2f|5c)/i.test(raw)) {
    throw new SsoRefusal("redirect_not_allowed");
  }
  // Belt and braces: resolved against a placeholder origin, the path must stay on it.
  const resolved = new URL(raw, "https://storefront.invalid");
  if (resolved.origin !== "https://storefront.invalid") throw new SsoRefusal("redirect_not_allowed");
  return raw;
}
