import { recallChannels, rememberChannels, sameChannels, type ChannelIds } from "../../mapping/remembered-channels.js";

/**
 * Lockout (SCIM_LOCKOUT_CHANNEL_ID): a deactivated customer's `channel_ids` is exactly the
 * lockout channel, a channel no shopper signs in to, so no password (not even one chosen through
 * a reset email) opens a storefront. The channels it had are remembered in the
 * `channelsBeforeDeactivation` bridge attribute and restored on reactivation.
 *
 * This is the channel part of a deactivation or reactivation; the user writer applies it in its
 * usual order, so a request that fails half-way is finished by the IdP's retry:
 * 1. the remembered channels are written before the customer PUT that locks it out (a retry
 *    that finds the customer locked out already keeps what the first attempt remembered);
 * 2. the customer PUT carries `channel_ids`;
 * 3. on reactivation, the remembered value is deleted after the PUT that restored the channels,
 *    so a retry still knows what to restore (the active flag is cleared before that PUT, so a
 *    user shown inactive is never one whose channels are back).
 * Whether a user is active is still read from the active flag alone (customer-to-user.ts).
 */
export interface ChannelLockoutState {
  /** null: lockout is not configured (deactivation only locks the password). */
  lockoutChannelId: number | null;
  wantsActive: boolean;
  /** The customer's channel_ids as stored. */
  current: ChannelIds;
  /** channel_ids the SCIM request asks for; undefined when it does not touch them. */
  requested: ChannelIds | undefined;
  /** The channelsBeforeDeactivation attribute as stored (undefined when not set). */
  remembered: string | undefined;
}

export interface ChannelLockoutStep {
  /** channel_ids the customer PUT must carry instead of what was requested; undefined = as requested. */
  channelIds?: ChannelIds;
  /** Leave channel_ids out of the customer PUT (the request's channels are remembered instead). */
  holdRequested?: boolean;
  /** New remembered value; null deletes it. */
  remember?: string | null;
}

export function isLockedOut(current: ChannelIds, lockoutChannelId: number): boolean {
  return current !== null && current.length === 1 && current[0] === lockoutChannelId;
}

export function planChannelLockout(state: ChannelLockoutState): ChannelLockoutStep {
  const { lockoutChannelId, current, requested, remembered } = state;
  const before = recallChannels(remembered);
  if (state.wantsActive) {
    if (before === undefined) return remembered === undefined ? {} : { remember: null };
    // Reactivation (or undoing a half-done deactivation): the IdP's channels win, else those remembered.
    const restore = requested !== undefined ? requested : before;
    return { ...(sameChannels(restore, current) ? {} : { channelIds: restore }), remember: null };
  }
  const lockedOut = lockoutChannelId === null ? before !== undefined : isLockedOut(current, lockoutChannelId);
  if (lockedOut) {
    // Channels sent for an inactive user are where reactivation takes it; the lockout stays.
    // (Lockout turned off since: the user stays on the old lockout channel until reactivated.)
    if (requested === undefined) return { holdRequested: true };
    const untouched = before === undefined ? sameChannels(requested, current) : sameChannels(requested, before);
    return untouched ? { holdRequested: true } : { holdRequested: true, remember: rememberChannels(requested) };
  }
  if (lockoutChannelId === null) return {};
  // A retry after the remembered value was written keeps it: `current` is still the pre-lockout value.
  const previous = requested !== undefined ? requested : current;
  return { channelIds: [lockoutChannelId], holdRequested: true, remember: rememberChannels(previous) };
}
