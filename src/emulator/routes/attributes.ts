/**
 * /v3/customers/attributes: attribute definitions. At most 50 per store; the type is
 * immutable (PUT changes the name only); deleting a definition deletes its values.
 */
import { Router } from "express";
import { batchBody } from "../batch.js";
import { type EmulatorContext, queryOf, rawQueryOf, sendData, storeOf } from "../context.js";
import { jsonInvalid, v3Error } from "../errors.js";
import { MAX_ATTRIBUTES } from "../options.js";
import { assertKnownFilters, dateFilter, dateFilterNames, intList, pageRequest, paginate } from "../query.js";
import type { AttributeRecord, AttributeType } from "../records.js";
import { isoSeconds } from "../time.js";
import { checkKinds, checkLength, Problems, requireFields } from "../validation.js";
import { attributeView } from "../views.js";
import { methodNotAllowed } from "./fallback.js";

const TYPES: readonly AttributeType[] = ["string", "number", "date"];
const FILTERS = ["page", "limit", "name", "name:like", "type", ...dateFilterNames("date_created"), ...dateFilterNames("date_modified")];

export function attributesRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/customers/attributes")
    .get((req, res) => {
      const query = queryOf(req);
      assertKnownFilters(query, FILTERS);
      const request = pageRequest(query, ctx.options);
      const created = dateFilter<AttributeRecord>(query, "date_created", (a) => a.date_created);
      const modified = dateFilter<AttributeRecord>(query, "date_modified", (a) => a.date_modified);
      const like = query["name:like"]?.toLowerCase();
      const rows = storeOf(res).attributes.where(
        (a) =>
          (query.name === undefined || a.name === query.name) &&
          (like === undefined || a.name.toLowerCase().includes(like)) &&
          (query.type === undefined || a.type === query.type) &&
          created(a) &&
          modified(a),
      );
      const { data, pagination } = paginate(rows, request, rawQueryOf(req));
      res.json({ data: data.map(attributeView), meta: { pagination } });
    })
    .post((req, res) => {
      const store = storeOf(res);
      const items = batchBody(req.body, undefined, ["name", "type"]);
      const problems = new Problems();
      items.forEach((item) => checkKinds(problems, item, { name: "string", type: "string" }));
      if (problems.hasShape) throw jsonInvalid(problems.shape);
      const names = new Set(store.attributes.all().map((a) => a.name.toLowerCase()));
      items.forEach((item, i) => {
        requireFields(problems, `${i}.`, item, ["name", "type"]);
        checkLength(problems, `${i}.name`, "name", item.name, 1, 255);
        if (typeof item.type === "string" && !TYPES.includes(item.type as AttributeType)) {
          problems.rule(`${i}.type`, "type must be one of: string, number, date");
        }
        if (typeof item.name === "string") {
          if (names.has(item.name.toLowerCase())) problems.rule(`${i}.name`, `An attribute named "${item.name}" already exists`);
          names.add(item.name.toLowerCase());
        }
      });
      if (store.attributes.count() + items.length > MAX_ATTRIBUTES) {
        problems.rule(".attribute_create", `A store cannot have more than ${MAX_ATTRIBUTES} customer attributes`);
      }
      if (problems.hasRules) throw v3Error(422, "Create customer attributes failed.", problems.rules);
      const created = items.map((item) => store.attributes.insert({ name: item.name as string, type: item.type as AttributeType }));
      sendData(res, created.map(attributeView));
    })
    .put((req, res) => {
      const store = storeOf(res);
      const items = batchBody(req.body, undefined, ["id", "name"]);
      const problems = new Problems();
      items.forEach((item) => checkKinds(problems, item, { id: "int", name: "string" }));
      if (problems.hasShape) throw jsonInvalid(problems.shape);
      items.forEach((item, i) => {
        requireFields(problems, `${i}.`, item, ["id", "name"]);
        if (typeof item.id === "number" && !store.attributes.has(item.id)) problems.rule(`${i}.id`, "invalid attribute ID");
        checkLength(problems, `${i}.name`, "name", item.name, 1, 255);
        // The type is immutable: delete and recreate the attribute to change it (spec).
        if ("type" in item) problems.rule(`${i}.type`, "The attribute type cannot be changed");
        const clash = store.attributes.where(
          (a) => typeof item.name === "string" && a.id !== item.id && a.name.toLowerCase() === item.name.toLowerCase(),
        );
        if (clash.length > 0) problems.rule(`${i}.name`, `An attribute named "${String(item.name)}" already exists`);
      });
      if (problems.hasRules) throw v3Error(422, "Update customer attributes failed.", problems.rules);
      const now = isoSeconds(ctx.now());
      const updated = items.map((item) => {
        const row = store.attributes.get(item.id as number) as AttributeRecord;
        return store.attributes.save({ ...row, name: item.name as string, date_modified: now });
      });
      sendData(res, updated.map(attributeView));
    })
    .delete((req, res) => {
      const query = queryOf(req);
      assertKnownFilters(query, ["id:in"]);
      const ids = intList(query, "id:in");
      if (ids !== undefined) storeOf(res).deleteAttributes(ids);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
