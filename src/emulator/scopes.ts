/**
 * OAuth scopes of store-level API accounts, as BigCommerce checks them: a valid token without
 * the scope an endpoint needs gets 403 "Missing scope" (customers.v3.yml, channels.v3.yml,
 * docs/status-codes.mdx). Read endpoints accept the read-only or the modify scope; writes need
 * modify. The emulator grants every scope unless its `tokenScopes` option lists the token.
 */
export const SCOPES = {
  customersModify: "store_v2_customers",
  customersRead: "store_v2_customers_read_only",
  customersLogin: "store_v2_customers_login",
  channelSettingsModify: "store_channel_settings",
  channelSettingsRead: "store_channel_settings_read_only",
} as const;

/** Scopes any one of which lets a request through; undefined = no scope needed. */
export function scopesAllowing(method: string, path: string): readonly string[] | undefined {
  const read = method === "GET" || method === "HEAD";
  if (/^\/v3\/channels(\/|$)/.test(path)) {
    return read ? [SCOPES.channelSettingsRead, SCOPES.channelSettingsModify] : [SCOPES.channelSettingsModify];
  }
  if (/^\/v3\/customers\/settings(\/|$)/.test(path) || /^\/v3\/customers(\/|$)/.test(path) || /^\/v2\/customer_groups(\/|$)/.test(path) || /^\/v2\/customers(\/|$)/.test(path)) {
    // Checking a password is a read of the customer, but BigCommerce counts it as modify (it has special abuse protections).
    if (/^\/v3\/customers\/validate-credentials$/.test(path)) return [SCOPES.customersModify];
    return read ? [SCOPES.customersRead, SCOPES.customersModify] : [SCOPES.customersModify];
  }
  return undefined;
}

/** Whether a token with these scopes may make this request. */
export function scopeAllows(granted: readonly string[], method: string, path: string): boolean {
  const allowing = scopesAllowing(method, path);
  return allowing === undefined || allowing.some((s) => granted.includes(s));
}
