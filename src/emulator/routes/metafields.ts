/**
 * Customer metafields: the per-customer endpoints (409 on a duplicate namespace+key) and the
 * batch endpoints, which BigCommerce documents as partial-success: the good items are written
 * and a 422 lists the failed ones beside them, with `meta: {total, success, failed}`.
 */
import { type Request, type Response, Router } from "express";
import { type EmulatorContext, queryOf, rawQueryOf, storeOf } from "../context.js";
import { ApiError, ERROR_TYPE, v3Error, v3InputInvalid, v3NotFound } from "../errors.js";
import { conflictingMetafield, metafieldProblems, pickInput } from "../metafield-rules.js";
import { assertKnownFilters, csv, dateFilter, parseInteger, pageRequest, paginate } from "../query.js";
import type { MetafieldRecord } from "../records.js";
import type { EmulatorStore } from "../store.js";
import { isoOffset } from "../time.js";
import { isPlainObject } from "../validation.js";
import { metafieldView } from "../views.js";
import { methodNotAllowed } from "./fallback.js";

const FILTERS = [
  "page",
  "limit",
  "key",
  "key:in",
  "namespace",
  "namespace:in",
  "direction",
  "include_fields",
  "date_created:min",
  "date_created:max",
  "date_modified:min",
  "date_modified:max",
];
const FIELDS = ["resource_id", "key", "value", "namespace", "permission_set", "resource_type", "description", "owner_client_id", "date_created", "date_modified"];

function listMetafields(ctx: EmulatorContext, req: Request, res: Response, resourceId?: number): void {
  const query = queryOf(req);
  assertKnownFilters(query, FILTERS);
  const request = pageRequest(query, ctx.options);
  const keys = csv(query, "key:in");
  const namespaces = csv(query, "namespace:in");
  const direction = query.direction ?? "asc";
  if (direction !== "asc" && direction !== "desc") throw v3Error(422, `Query parameter "direction" value "${direction}" is not valid.`);
  const fields = csv(query, "include_fields");
  const badField = fields?.find((f) => !FIELDS.includes(f));
  if (badField !== undefined) throw v3Error(422, `Query parameter "include_fields" value "${badField}" is not valid.`);
  const created = dateFilter<MetafieldRecord>(query, "date_created", (m) => m.date_created);
  const modified = dateFilter<MetafieldRecord>(query, "date_modified", (m) => m.date_modified);
  const rows = storeOf(res).metafields.where(
    (m) =>
      (resourceId === undefined || m.resource_id === resourceId) &&
      (query.key === undefined || m.key === query.key) &&
      (keys === undefined || keys.includes(m.key)) &&
      (query.namespace === undefined || m.namespace === query.namespace) &&
      (namespaces === undefined || namespaces.includes(m.namespace)) &&
      created(m) &&
      modified(m),
  );
  if (direction === "desc") rows.reverse();
  const { data, pagination } = paginate(rows, request, rawQueryOf(req));
  const only = fields === undefined ? undefined : new Set(fields);
  res.json({ data: data.map((m) => metafieldView(m, only)), meta: { pagination } });
}

function ownerOf(req: Request): string {
  const client = req.get("x-auth-client");
  return client === undefined || client === "" ? "emulator" : client;
}

function customerIdParam(store: EmulatorStore, raw: string | undefined): number {
  const id = /^\d+$/.test(raw ?? "") ? Number(raw) : NaN;
  if (!store.customers.has(id)) throw v3NotFound();
  return id;
}

/** Outcome of one batch item: the written row, or an error message under its index. */
type ItemResult = { ok: true; row: MetafieldRecord } | { ok: false; message: string; status: number };

function sendBatch(res: Response, results: ItemResult[], view: (r: MetafieldRecord) => unknown): void {
  const failedEntries = results.flatMap((r, i) => (r.ok ? [] : [[String(i), r.message] as const]));
  const data = results.flatMap((r) => (r.ok ? [view(r.row)] : []));
  const meta = { total: results.length, success: data.length, failed: failedEntries.length };
  if (failedEntries.length === 0) {
    res.json({ data, errors: [], meta });
    return;
  }
  const error = { status: 422, title: "Bulk operation has failed", type: ERROR_TYPE, errors: Object.fromEntries(failedEntries) };
  res.status(422).json({ data, errors: [error], meta });
}

function arrayBody(body: unknown): unknown[] {
  if (!Array.isArray(body) || body.length === 0) throw v3InputInvalid("The request body must be a non-empty JSON array");
  return body;
}

function firstProblem(problems: Record<string, string>): string | undefined {
  const entry = Object.entries(problems)[0];
  return entry === undefined ? undefined : `${entry[0]}: ${entry[1]}`;
}

function createOne(ctx: EmulatorContext, store: EmulatorStore, item: Record<string, unknown>, resourceId: number, owner: string): ItemResult {
  const problem = firstProblem(metafieldProblems(item, ["namespace", "key", "value", "permission_set"]));
  if (problem !== undefined) return { ok: false, status: 422, message: problem };
  const input = pickInput(item);
  if (conflictingMetafield(store, resourceId, input.namespace as string, input.key as string) !== undefined) {
    return { ok: false, status: 409, message: `A metafield with namespace "${input.namespace}" and key "${input.key}" already exists for customer ${resourceId}` };
  }
  const now = isoOffset(ctx.now());
  const row = store.metafields.insert({
    namespace: input.namespace as string,
    key: input.key as string,
    value: input.value as string,
    description: input.description ?? "",
    permission_set: input.permission_set ?? "app_only",
    resource_id: resourceId,
    owner_client_id: owner,
    date_created: now,
    date_modified: now,
  });
  return { ok: true, row };
}

function updateOne(ctx: EmulatorContext, store: EmulatorStore, item: Record<string, unknown>, id: number, resourceId?: number): ItemResult {
  const existing = store.metafields.get(id);
  if (existing === undefined || (resourceId !== undefined && existing.resource_id !== resourceId)) {
    return { ok: false, status: 404, message: `Metafield ${id} does not exist` };
  }
  if (item.resource_id !== undefined && item.resource_id !== existing.resource_id) {
    return { ok: false, status: 422, message: "resource_id cannot be changed" };
  }
  const problem = firstProblem(metafieldProblems(item, []));
  if (problem !== undefined) return { ok: false, status: 422, message: problem };
  const next = { ...existing, ...pickInput(item), date_modified: isoOffset(ctx.now()) };
  if (conflictingMetafield(store, next.resource_id, next.namespace, next.key, next.id) !== undefined) {
    return { ok: false, status: 409, message: `A metafield with namespace "${next.namespace}" and key "${next.key}" already exists for customer ${next.resource_id}` };
  }
  return { ok: true, row: store.metafields.save(next) };
}

/** A single-resource failure in the V3 ErrorResponse shape (409 for a duplicate, as the spec says). */
function singleFailure(result: Extract<ItemResult, { ok: false }>): ApiError {
  if (result.status === 404) return v3NotFound();
  const title = result.status === 409 ? result.message : "The metafield is not valid.";
  return v3Error(result.status, title, result.status === 409 ? {} : { metafield: result.message });
}

export function metafieldsRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  const view = (m: MetafieldRecord): unknown => metafieldView(m);

  router
    .route("/v3/customers/metafields")
    .get((req, res) => listMetafields(ctx, req, res))
    .post((req, res) => {
      const store = storeOf(res);
      const owner = ownerOf(req);
      const results = arrayBody(req.body).map((item): ItemResult => {
        if (!isPlainObject(item)) return { ok: false, status: 422, message: "item must be an object" };
        const resourceId = item.resource_id;
        if (!Number.isSafeInteger(resourceId)) return { ok: false, status: 422, message: "resource_id is required" };
        if (!store.customers.has(resourceId as number)) return { ok: false, status: 422, message: `customer ${String(resourceId)} does not exist` };
        return createOne(ctx, store, item, resourceId as number, owner);
      });
      sendBatch(res, results, view);
    })
    .put((req, res) => {
      const store = storeOf(res);
      const results = arrayBody(req.body).map((item): ItemResult => {
        if (!isPlainObject(item) || !Number.isSafeInteger(item.id)) return { ok: false, status: 422, message: "id is required" };
        return updateOne(ctx, store, item, item.id as number);
      });
      sendBatch(res, results, view);
    })
    .delete((req, res) => {
      const store = storeOf(res);
      assertKnownFilters(queryOf(req), []);
      const results = arrayBody(req.body).map((id): { ok: true; id: number } | { ok: false; message: string } => {
        if (!Number.isSafeInteger(id)) return { ok: false, message: "id must be an integer" };
        if (!store.metafields.has(id as number)) return { ok: false, message: `Metafield ${String(id)} does not exist` };
        store.metafields.delete(id as number);
        return { ok: true, id: id as number };
      });
      const data = results.flatMap((r) => (r.ok ? [r.id] : []));
      const failed = results.flatMap((r, i) => (r.ok ? [] : [[String(i), r.message] as const]));
      const meta = { total: results.length, success: data.length, failed: failed.length };
      if (failed.length === 0) res.json({ data, errors: [], meta });
      else res.status(422).json({ data, errors: [{ status: 422, title: "Bulk operation has failed", type: ERROR_TYPE, errors: Object.fromEntries(failed) }], meta });
    })
    .all(methodNotAllowed);

  router
    .route("/v3/customers/:customerId/metafields")
    .get((req, res) => {
      const customerId = customerIdParam(storeOf(res), req.params.customerId);
      listMetafields(ctx, req, res, customerId);
    })
    .post((req, res) => {
      const store = storeOf(res);
      const customerId = customerIdParam(store, req.params.customerId);
      if (!isPlainObject(req.body)) throw v3InputInvalid("The request body must be a JSON object");
      const result = createOne(ctx, store, req.body, customerId, ownerOf(req));
      if (!result.ok) throw singleFailure(result);
      res.json({ data: [view(result.row)], errors: [], meta: { total: 1, success: 1, failed: 0 } });
    })
    .all(methodNotAllowed);

  router
    .route("/v3/customers/:customerId/metafields/:metafieldId")
    .get((req, res) => {
      const store = storeOf(res);
      const customerId = customerIdParam(store, req.params.customerId);
      const row = store.metafields.get(Number(req.params.metafieldId));
      if (row === undefined || row.resource_id !== customerId) throw v3NotFound();
      res.json({ data: view(row), meta: {} });
    })
    .put((req, res) => {
      const store = storeOf(res);
      const customerId = customerIdParam(store, req.params.customerId);
      if (!isPlainObject(req.body)) throw v3InputInvalid("The request body must be a JSON object");
      const id = parseInteger("metafieldId", req.params.metafieldId ?? "");
      if (req.body.id !== undefined && req.body.id !== id) throw v3Error(422, "The metafield is not valid.", { id: "id does not match the URL" });
      const result = updateOne(ctx, store, req.body, id, customerId);
      if (!result.ok) throw singleFailure(result);
      res.json({ data: [view(result.row)], errors: [], meta: { total: 1, success: 1, failed: 0 } });
    })
    .delete((req, res) => {
      const store = storeOf(res);
      const customerId = customerIdParam(store, req.params.customerId);
      const row = store.metafields.get(Number(req.params.metafieldId));
      if (row === undefined || row.resource_id !== customerId) throw v3NotFound();
      store.metafields.delete(row.id);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
