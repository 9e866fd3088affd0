/**
 * /v3/customers/settings and /v3/customers/settings/channels/{id}: partial PUTs merge into the
 * stored settings; on channels `null` removes an override (inherit the global value).
 */
import { Router } from "express";
import { type EmulatorContext, sendData, storeOf } from "../context.js";
import { jsonInvalid, v3Error } from "../errors.js";
import type { ChannelSettings, CustomerSettings } from "../records.js";
import { isPlainObject } from "../validation.js";
import type { EmulatorStore } from "../store.js";
import { channelNotFound } from "./channels.js";
import { methodNotAllowed } from "./fallback.js";

type Section = Record<string, unknown>;

/** Copies the known keys of `patch` onto `target`, checking each value's type. */
function mergeSection(target: Section, patch: unknown, path: string, types: Record<string, string>, allowNull: boolean): void {
  if (patch === undefined) return;
  if (!isPlainObject(patch)) throw jsonInvalid({ [path]: "error.expected.jsobject" });
  for (const [key, type] of Object.entries(types)) {
    if (!(key in patch)) continue;
    const value = patch[key];
    const ok = (value === null && allowNull) || (type === "integer" ? Number.isSafeInteger(value) : typeof value === type);
    if (!ok) throw jsonInvalid({ [`${path}.${key}`]: `error.expected.js${type === "integer" ? "number" : type}` });
    target[key] = value;
  }
}

const PRIVACY = { ask_shopper_for_tracking_consent: "boolean", policy_url: "string", ask_shopper_for_tracking_consent_on_checkout: "boolean" };
const GROUPS = { guest_customer_group_id: "integer", default_customer_group_id: "integer" };

/** A channel of this store: settings of a channel that does not exist are 404 (the stricter choice). */
function channelIdOf(raw: string | undefined, store: EmulatorStore): number {
  if (!/^\d+$/.test(raw ?? "") || Number(raw) < 1) throw v3Error(422, `Path parameter "channel_id" value "${String(raw)}" is not a valid channel ID.`);
  const channelId = Number(raw);
  if (!store.channels.has(channelId)) throw channelNotFound();
  return channelId;
}

export function settingsRouter(_ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/customers/settings")
    .get((_req, res) => sendData(res, storeOf(res).settings.get()))
    .put((req, res) => {
      const store = storeOf(res);
      if (!isPlainObject(req.body)) throw jsonInvalid({ body: "error.expected.jsobject" });
      const settings: CustomerSettings = store.settings.get();
      mergeSection(settings.privacy_settings, req.body.privacy_settings, "privacy_settings", PRIVACY, false);
      mergeSection(settings.customer_group_settings, req.body.customer_group_settings, "customer_group_settings", GROUPS, false);
      for (const [key, id] of Object.entries(settings.customer_group_settings)) {
        if (id !== 0 && !store.groups.has(id)) throw v3Error(422, "Update customer settings failed.", { [`customer_group_settings.${key}`]: `customer group ${id} does not exist` });
      }
      store.settings.set(settings);
      sendData(res, store.settings.get());
    })
    .all(methodNotAllowed);
  router
    .route("/v3/customers/settings/channels/:channelId")
    .get((req, res) => {
      const store = storeOf(res);
      sendData(res, store.settings.channel(channelIdOf(req.params.channelId, store)));
    })
    .put((req, res) => {
      const store = storeOf(res);
      const channelId = channelIdOf(req.params.channelId, store);
      if (!isPlainObject(req.body)) throw jsonInvalid({ body: "error.expected.jsobject" });
      const settings: ChannelSettings = store.settings.channel(channelId);
      mergeSection(settings.privacy_settings, req.body.privacy_settings, "privacy_settings", PRIVACY, true);
      mergeSection(settings.customer_group_settings, req.body.customer_group_settings, "customer_group_settings", GROUPS, true);
      mergeSection(settings as unknown as Section, { allow_global_logins: req.body.allow_global_logins }, "", { allow_global_logins: "boolean" }, true);
      store.settings.setChannel(channelId, settings);
      sendData(res, store.settings.channel(channelId));
    })
    .all(methodNotAllowed);
  return router;
}
