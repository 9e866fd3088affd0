import type { Logger } from "pino";
import type { BigCommerceClient, Channel, ChannelLoginSettings } from "../../bigcommerce/index.js";

/** The lockout channel is missing or would let customers in: the bridge must not start. */
export class LockoutChannelError extends Error {
  override name = "LockoutChannelError";
}

const GONE = new Set(["deleted", "terminated"]);

/**
 * Start-up check of SCIM_LOCKOUT_CHANNEL_ID (two calls): the channel exists and its customer
 * settings say `allow_global_logins: false`. A channel that allows global logins would let in
 * every customer with `channel_ids: null`, and a lockout there would lock nobody out. `null`
 * (no override) is refused too: what it inherits is not visible through the API.
 * Then logs which deactivation mode is in force and what it does not prevent.
 */
export async function checkLockoutChannel(client: BigCommerceClient, lockoutChannelId: number | null, logger: Logger): Promise<void> {
  if (lockoutChannelId === null) {
    logger.warn(
      { deactivation: "password-lock" },
      "deactivation locks the password only (SCIM_LOCKOUT_CHANNEL_ID is not set): a deactivated customer who asks the storefront for a password reset can sign in again; see docs/limitations.md",
    );
    return;
  }
  const channel = await client.channels.get(lockoutChannelId);
  const missing = lockoutChannelProblem(lockoutChannelId, channel, null);
  if (missing !== null) throw new LockoutChannelError(missing);
  const problem = lockoutChannelProblem(lockoutChannelId, channel, await client.channels.loginSettings(lockoutChannelId));
  if (problem !== null) throw new LockoutChannelError(problem);
  logger.info(
    { deactivation: "lockout", lockoutChannelId },
    "deactivation locks the password and restricts the customer to the lockout channel: a password reset does not reopen any storefront",
  );
}

/**
 * What is wrong with SCIM_LOCKOUT_CHANNEL_ID's channel, in one sentence with the fix, or null.
 * `settings` null: only the channel was read yet. Shared with the doctor (src/doctor).
 */
export function lockoutChannelProblem(lockoutChannelId: number, channel: Channel | null, settings: ChannelLoginSettings | null): string | null {
  if (channel === null || GONE.has(channel.status ?? "")) {
    return `SCIM_LOCKOUT_CHANNEL_ID=${lockoutChannelId}: the store has no such channel${channel === null ? "" : ` (it is ${channel.status})`}; create one (docs/deactivation.md, "Lockout channel") or unset the variable`;
  }
  if (settings !== null && settings.allow_global_logins !== false) {
    return (
      `SCIM_LOCKOUT_CHANNEL_ID=${lockoutChannelId}: channel '${channel.name}' ${settings.allow_global_logins === true ? "allows global logins" : "does not set allow_global_logins"}; ` +
      `set it to false (PUT /v3/customers/settings/channels/${lockoutChannelId} {"allow_global_logins": false}), or every customer with global access could sign in to it`
    );
  }
  return null;
}
