/**
 * /v3/customers/attribute-values. PUT is an upsert keyed on (customer, attribute) that takes
 * `value`; GET answers `attribute_value` — the naming mismatch is BigCommerce's, kept on purpose.
 */
import { Router } from "express";
import { batchBody } from "../batch.js";
import { type EmulatorContext, queryOf, rawQueryOf, sendData, storeOf } from "../context.js";
import { attributeValueProblem } from "../customer-input.js";
import { jsonInvalid, v3Error } from "../errors.js";
import { MAX_BATCH_ITEMS } from "../options.js";
import { assertKnownFilters, dateFilter, dateFilterNames, intList, pageRequest, paginate } from "../query.js";
import type { AttributeValueRecord } from "../records.js";
import { isoSeconds } from "../time.js";
import { checkKinds, checkLength, Problems, requireFields } from "../validation.js";
import { attributeValueView } from "../views.js";
import { methodNotAllowed } from "./fallback.js";

const FILTERS = [
  "page",
  "limit",
  "customer_id:in",
  "attribute_id:in",
  "name",
  ...dateFilterNames("date_created"),
  ...dateFilterNames("date_modified"),
];

export function attributeValuesRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/customers/attribute-values")
    .get((req, res) => {
      const store = storeOf(res);
      const query = queryOf(req);
      assertKnownFilters(query, FILTERS);
      const request = pageRequest(query, ctx.options);
      const customers = intList(query, "customer_id:in");
      const attributes = intList(query, "attribute_id:in");
      const named = query.name === undefined ? undefined : new Set(store.attributes.where((a) => a.name === query.name).map((a) => a.id));
      const created = dateFilter<AttributeValueRecord>(query, "date_created", (v) => v.date_created);
      const modified = dateFilter<AttributeValueRecord>(query, "date_modified", (v) => v.date_modified);
      const rows = store.attributeValues.where(
        (v) =>
          (customers === undefined || customers.includes(v.customer_id)) &&
          (attributes === undefined || attributes.includes(v.attribute_id)) &&
          (named === undefined || named.has(v.attribute_id)) &&
          created(v) &&
          modified(v),
      );
      const { data, pagination } = paginate(rows, request, rawQueryOf(req));
      res.json({ data: data.map(attributeValueView), meta: { pagination } });
    })
    .put((req, res) => {
      const store = storeOf(res);
      const items = batchBody(req.body, MAX_BATCH_ITEMS, ["attribute_id", "value", "customer_id"]);
      const problems = new Problems();
      items.forEach((item) => checkKinds(problems, item, { id: "int", attribute_id: "int", customer_id: "int", value: "string" }));
      if (problems.hasShape) throw jsonInvalid(problems.shape);
      const pairs = new Set<string>();
      items.forEach((item, i) => {
        requireFields(problems, `${i}.`, item, ["attribute_id", "value", "customer_id"]);
        checkLength(problems, `${i}.value`, "value", item.value, 0, 255);
        const attribute = typeof item.attribute_id === "number" ? store.attributes.get(item.attribute_id) : undefined;
        if (typeof item.attribute_id === "number" && attribute === undefined) problems.rule(`${i}.attribute_id`, "invalid attribute ID");
        if (typeof item.customer_id === "number" && !store.customers.has(item.customer_id)) {
          problems.rule(`${i}.customer_id`, "invalid customer ID");
        }
        if (attribute !== undefined && typeof item.value === "string") {
          const problem = attributeValueProblem(attribute.type, item.value);
          if (problem !== null) problems.rule(`${i}.value`, problem);
        }
        if (typeof item.id === "number") {
          const existing = store.attributeValues.get(item.id);
          if (existing === undefined) problems.rule(`${i}.id`, "invalid attribute value ID");
          else if (existing.customer_id !== item.customer_id || existing.attribute_id !== item.attribute_id) {
            problems.rule(`${i}.id`, "attribute value ID does not belong to this customer and attribute");
          }
        }
        const pair = `${String(item.customer_id)}:${String(item.attribute_id)}`;
        if (pairs.has(pair)) problems.rule(`${i}.attribute_id`, "the same customer and attribute appear twice in the request");
        pairs.add(pair);
      });
      if (problems.hasRules) throw v3Error(422, "Upsert customer attribute values failed.", problems.rules);
      const now = isoSeconds(ctx.now());
      const saved = items.map((item) => {
        const existing = store.attributeValues.find(item.customer_id as number, item.attribute_id as number);
        if (existing !== undefined) {
          return store.attributeValues.save({ ...existing, attribute_value: item.value as string, date_modified: now });
        }
        return store.attributeValues.insert({
          attribute_id: item.attribute_id as number,
          customer_id: item.customer_id as number,
          attribute_value: item.value as string,
        });
      });
      sendData(res, saved.map(attributeValueView));
    })
    .delete((req, res) => {
      const store = storeOf(res);
      const query = queryOf(req);
      assertKnownFilters(query, ["id:in"]);
      for (const id of intList(query, "id:in") ?? []) store.attributeValues.delete(id);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
