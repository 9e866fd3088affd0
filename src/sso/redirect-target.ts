import { SsoRefusal } from "./refusals.js";

export const DEFAULT_REDIRECT = "/account.php";
const MAX_LENGTH = 2048;

/**
 * `redirect_to` as BigCommerce accepts it: a relative path on the storefront. Refused, so that
 * /sso/login is no open redirect and the storefront receives exactly the path it will serve:
 * - anything a browser could resolve to another origin (`//host`, `/\host`, a scheme);
 * - control characters and backslashes, raw or percent-encoded (`%00`-`%1f`, `%7f`, `%5c`);
 * - encoded slashes anywhere (`%2f`): a proxy or the storefront may decode them into a path
 *   the check below never saw;
 * - dot segments (`.`, `..`, also encoded as `%2e`) anywhere in the path: resolved by the
 *   browser or a proxy, they walk out of the prefix the link was meant for.
 * Checked at /sso/login and again at the callback (the value comes back from the sealed cookie).
 */
export function redirectTargetOf(raw: unknown): string {
  if (raw === undefined || raw === "") return DEFAULT_REDIRECT;
  if (typeof raw !== "string" || raw.length > MAX_LENGTH) throw new SsoRefusal("redirect_not_allowed");
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (!/^\/(?![/\\])/.test(raw) || /[\u0000-\u001f\u007f\\]/.test(raw)) throw new SsoRefusal("redirect_not_allowed");
  if (/%(0[0-9a-f]|1[0-9a-f]|7f|2f|5c)/i.test(raw)) throw new SsoRefusal("redirect_not_allowed");
  const path = raw.split(/[?#]/, 1)[0]!;
  if (path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) throw new SsoRefusal("redirect_not_allowed");
  // Belt and braces: resolved against a placeholder origin, the path must stay on it, unchanged.
  const resolved = new URL(raw, "https://storefront.invalid");
  if (resolved.origin !== "https://storefront.invalid") throw new SsoRefusal("redirect_not_allowed");
  return raw;
}
