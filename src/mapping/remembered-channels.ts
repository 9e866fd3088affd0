import { z } from "zod";

/**
 * The `channel_ids` a customer had before a lockout moved it to the lockout channel, kept in the
 * `channelsBeforeDeactivation` bridge attribute. Attribute values are strings and an empty one
 * reads as "not set", so global access (`null`) is written as the JSON text `null`, and a list
 * as a JSON array: `"null"`, `"[1,2]"`.
 */
const rememberedSchema = z.union([z.null(), z.array(z.number().int().min(1).max(2_147_483_647)).min(1)]);

export type ChannelIds = number[] | null;

export function rememberChannels(channelIds: ChannelIds): string {
  return JSON.stringify(channelIds);
}

/**
 * The remembered channels; `undefined` when nothing is remembered, or when the stored text is
 * not a channel list (hand-edited): the customer then keeps the lockout channel, never gains
 * global access by accident.
 */
export function recallChannels(value: string | undefined): ChannelIds | undefined {
  if (value === undefined || value === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  const checked = rememberedSchema.safeParse(parsed);
  return checked.success ? checked.data : undefined;
}

/** The same access: both global, or the same channels in any order. */
export function sameChannels(a: ChannelIds, b: ChannelIds): boolean {
  if (a === null || b === null) return a === b;
  const sorted = (ids: number[]) => [...new Set(ids)].sort((x, y) => x - y).join(",");
  return sorted(a) === sorted(b);
}
