/**
 * `/v3/channels/{id}` and `/v3/customers/settings/channels/{id}`: the two reads the bridge needs
 * to check, at start-up, that its lockout channel exists and admits only customers granted it.
 * Read-only: the bridge never creates or changes channels.
 */
import { z } from "zod";
import { InvalidQueryError } from "./errors.js";
import { jsonBody, type Transport } from "./transport.js";

export interface Channel {
  id: number;
  name: string;
  type?: string;
  platform?: string;
  status?: string;
}

/** What a channel's customer settings say about sign-in; `null` = no override (inherited). */
export interface ChannelLoginSettings {
  allow_global_logins: boolean | null;
}

export interface ChannelsApi {
  /** GET /v3/channels/{id}; null when BigCommerce answers 404 (no such channel). */
  get(id: number): Promise<Channel | null>;
  /** GET /v3/customers/settings/channels/{id}. */
  loginSettings(id: number): Promise<ChannelLoginSettings>;
}

const channelSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  type: z.string().optional(),
  platform: z.string().optional(),
  status: z.string().optional(),
});
const channelBody = jsonBody(z.looseObject({ data: channelSchema }), "GET /v3/channels/{id}");
const settingsBody = jsonBody(
  z.looseObject({ data: z.looseObject({ allow_global_logins: z.boolean().nullish().transform((v) => v ?? null) }) }),
  "GET /v3/customers/settings/channels/{id}",
);

function checkId(id: number): number {
  if (!Number.isSafeInteger(id) || id < 1) throw new InvalidQueryError("channel id must be a positive integer");
  return id;
}

export class ChannelsEndpoint implements ChannelsApi {
  constructor(private readonly transport: Transport) {}

  get(id: number): Promise<Channel | null> {
    return this.transport.call({
      method: "GET",
      api: "v3",
      path: `/channels/${checkId(id)}`,
      accept: [404],
      parse: (response) => (response.status === 404 ? null : channelBody(response).data),
    });
  }

  async loginSettings(id: number): Promise<ChannelLoginSettings> {
    const body = await this.transport.call({
      method: "GET",
      api: "v3",
      path: `/customers/settings/channels/${checkId(id)}`,
      parse: settingsBody,
    });
    return { allow_global_logins: body.data.allow_global_logins };
  }
}
