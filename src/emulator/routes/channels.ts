/**
 * /v3/channels and /v3/channels/{id}: the store's sales channels (GET, POST, GET one). Only what
 * channel-specific customer access needs: listings, sites, currencies, menus and metafields of a
 * channel are not emulated. Validation follows the Channels spec: `name`, `type` and `platform`
 * required, a valid type/platform pair, a status valid for the type, a name of Latin letters,
 * digits, dashes and underscores, and 409 for a second channel with the same name, platform
 * and type.
 */
import { Router } from "express";
import { type EmulatorContext, queryOf, rawQueryOf, sendData, storeOf } from "../context.js";
import { jsonInvalid, v3Error } from "../errors.js";
import { assertKnownFilters, csv, dateFilter, dateFilterNames, pageRequest, paginate } from "../query.js";
import type { ChannelRecord, ChannelStatus, ChannelType } from "../records.js";
import { checkKinds, isPlainObject, Problems } from "../validation.js";
import { methodNotAllowed } from "./fallback.js";

const TYPES: readonly ChannelType[] = ["storefront", "marketplace", "marketing", "pos"];

/** The spec's table of accepted platform/type pairs. */
const PLATFORM_TYPES: Readonly<Record<string, readonly ChannelType[]>> = {
  clover: ["pos"], square: ["pos"], stripe: ["pos"], talech: ["pos"], vend: ["pos"],
  amazon: ["marketplace"], belk: ["marketplace"], catch: ["marketplace"], ebay: ["marketplace"], etsy: ["marketplace"],
  facebook: ["marketplace", "marketing"], hudsons_bay: ["marketplace"], google: ["marketplace", "marketing"],
  google_shopping: ["marketing"], instagram: ["marketplace", "marketing"], macys: ["marketplace"],
  meta: ["marketplace", "marketing"], microsoft: ["marketing"], mirakl: ["marketplace"], overstock: ["marketplace"],
  pinterest: ["marketplace"], target_plus: ["marketplace"], tiktok: ["marketplace"], wayfair: ["marketplace"],
  wish: ["marketplace"], walmart: ["marketplace"],
  acquia: ["storefront"], bigcommerce: ["storefront"], bloomreach: ["storefront"], catalyst: ["storefront"],
  deity: ["storefront"], drupal: ["storefront"], gatsby: ["storefront"], next: ["storefront"], vue: ["storefront"],
  wordpress: ["storefront"],
  custom: ["storefront", "pos", "marketing", "marketplace"],
};

/** Statuses a POST may set, by type (`deleted` and `terminated` never on create). */
const CREATE_STATUSES: Readonly<Record<ChannelType, readonly ChannelStatus[]>> = {
  storefront: ["prelaunch", "active", "inactive", "archived"],
  marketing: ["connected", "disconnected", "archived"],
  marketplace: ["connected", "disconnected", "archived"],
  pos: ["connected", "disconnected", "archived"],
};

/** `available=true` statuses; the rest are unavailable (spec of the `available` filter). */
const AVAILABLE: readonly ChannelStatus[] = ["prelaunch", "active", "inactive", "connected"];
const ENABLED: readonly ChannelStatus[] = ["prelaunch", "active", "connected"];

const NAME = /^[A-Za-z0-9_-]+$/;
const FILTERS = ["page", "limit", "include", "available", "status:in", "type:in", "platform:in", ...dateFilterNames("date_created"), ...dateFilterNames("date_modified")];

export function channelView(channel: ChannelRecord): Record<string, unknown> {
  return {
    id: channel.id,
    external_id: channel.external_id,
    is_listable_from_ui: channel.is_listable_from_ui,
    is_enabled: ENABLED.includes(channel.status),
    is_visible: channel.is_visible,
    status: channel.status,
    name: channel.name,
    type: channel.type,
    platform: channel.platform,
    date_created: channel.date_created,
    date_modified: channel.date_modified,
    icon_url: `https://storage.googleapis.com/bigcommerce-production-dev-center/images/${channel.platform}_icon.svg`,
  };
}

/** The spec's 404 for an unknown channel id. */
export function channelNotFound(): ReturnType<typeof v3Error> {
  return v3Error(404, "Not found");
}

function channelIdParam(raw: string | undefined): number {
  if (!/^\d{1,10}$/.test(raw ?? "") || Number(raw) < 1) throw v3Error(400, "Input is invalid");
  return Number(raw);
}

function validateCreate(body: unknown, existing: readonly ChannelRecord[]): Omit<ChannelRecord, "id" | "date_created" | "date_modified"> {
  if (!isPlainObject(body)) throw jsonInvalid({ name: "error.path.missing", type: "error.path.missing", platform: "error.path.missing" });
  const problems = new Problems();
  checkKinds(problems, body, { name: "string", type: "string", platform: "string", status: "string", external_id: "string", is_listable_from_ui: "boolean", is_visible: "boolean" });
  for (const field of ["name", "type", "platform"]) if (body[field] === undefined) problems.shapeError(field, "error.path.missing");
  if (problems.hasShape) throw jsonInvalid(problems.shape);
  const name = body.name as string;
  const type = body.type as ChannelType;
  const platform = body.platform as string;
  if (!NAME.test(name)) {
    throw v3Error(422, "Only latin alphabet letters, arabic numerals, dash and underscore are allowed to be used as channel name.");
  }
  if (!TYPES.includes(type) || !(PLATFORM_TYPES[platform] ?? []).includes(type)) {
    throw v3Error(422, `Input channel type [${type}] with platform [${platform}] is not supported`);
  }
  const status = (body.status as ChannelStatus | undefined) ?? (type === "storefront" ? "prelaunch" : "connected");
  if (!CREATE_STATUSES[type].includes(status)) throw v3Error(422, `Input status [${status}] is not supported for channel type [${type}]`);
  if (existing.some((c) => c.name === name && c.platform === platform && c.type === type)) {
    throw v3Error(409, `Channel already exists with name: "${name}", platform: "${platform}", and type: "${type}"`);
  }
  return {
    name,
    type,
    platform,
    status,
    external_id: (body.external_id as string | undefined) ?? "",
    is_listable_from_ui: (body.is_listable_from_ui as boolean | undefined) ?? true,
    is_visible: (body.is_visible as boolean | undefined) ?? true,
  };
}

export function channelsRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/channels")
    .get((req, res) => {
      const query = queryOf(req);
      assertKnownFilters(query, FILTERS);
      const request = pageRequest(query, ctx.options);
      const statuses = csv(query, "status:in");
      const types = csv(query, "type:in");
      const platforms = csv(query, "platform:in");
      const available = query.available === undefined ? undefined : query.available === "true";
      if (query.available !== undefined && !["true", "false"].includes(query.available)) {
        throw v3Error(422, `Query parameter "available" value must be boolean. For input string: "${query.available}".`);
      }
      const created = dateFilter<ChannelRecord>(query, "date_created", (c) => c.date_created);
      const modified = dateFilter<ChannelRecord>(query, "date_modified", (c) => c.date_modified);
      const rows = storeOf(res).channels.where(
        (c) =>
          (statuses === undefined || statuses.includes(c.status)) &&
          (types === undefined || types.includes(c.type)) &&
          (platforms === undefined || platforms.includes(c.platform)) &&
          (available === undefined || AVAILABLE.includes(c.status) === available) &&
          created(c) &&
          modified(c),
      );
      const { data, pagination } = paginate(rows, request, rawQueryOf(req));
      res.json({ data: data.map(channelView), meta: { pagination } });
    })
    .post((req, res) => {
      const store = storeOf(res);
      const input = validateCreate(req.body, store.channels.all());
      sendData(res, channelView(store.channels.insert(input)));
    })
    .all(methodNotAllowed);
  router
    .route("/v3/channels/:channelId")
    .get((req, res) => {
      const channel = storeOf(res).channels.get(channelIdParam(req.params.channelId));
      if (channel === undefined) throw channelNotFound();
      sendData(res, channelView(channel));
    })
    .all(methodNotAllowed);
  return router;
}
