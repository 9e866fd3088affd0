/**
 * /v3/customers/addresses. A create or update that would duplicate an existing address of the
 * same customer changes nothing, answers 200, and leaves the address out of `data` (spec);
 * when every item is such a duplicate the body is `{}` (the spec's DuplicateAddressCollectionResponse).
 */
import { Router } from "express";
import {
  type AddressFields,
  checkAddressRules,
  checkAddressShape,
  sameAddress,
  withAddressDefaults,
} from "../address-rules.js";
import { batchBody } from "../batch.js";
import { type EmulatorContext, queryOf, rawQueryOf, sendData, storeOf } from "../context.js";
import { jsonInvalid, v3Error } from "../errors.js";
import { MAX_BATCH_ITEMS } from "../options.js";
import { assertKnownFilters, csv, intList, pageRequest, paginate } from "../query.js";
import type { AddressRecord } from "../records.js";
import type { EmulatorStore } from "../store.js";
import { Problems, requireFields } from "../validation.js";
import { addressView } from "../views.js";
import { methodNotAllowed } from "./fallback.js";

const FILTERS = ["page", "limit", "company:in", "name:in", "customer_id:in", "id:in", "include"];
const REQUIRED = ["customer_id", "first_name", "last_name", "address1", "city", "country_code"];

function isDuplicate(store: EmulatorStore, candidate: AddressFields & { customer_id: number }, exceptId?: number): boolean {
  return store.addresses.where((a) => a.id !== exceptId && sameAddress(a, candidate)).length > 0;
}

function respond(res: Parameters<typeof sendData>[0], written: AddressRecord[]): void {
  if (written.length === 0) res.status(200).json({});
  else sendData(res, written.map((a) => addressView(a, false)));
}

export function addressesRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/customers/addresses")
    .get((req, res) => {
      const query = queryOf(req);
      assertKnownFilters(query, FILTERS);
      const include = csv(query, "include") ?? [];
      const unknown = include.filter((i) => i !== "formfields");
      if (unknown.length > 0) throw v3Error(422, `The include(s): ${unknown.join(", ")} are not valid include parameter(s).`);
      const request = pageRequest(query, ctx.options);
      const ids = intList(query, "id:in");
      const customers = intList(query, "customer_id:in");
      const companies = csv(query, "company:in")?.map((c) => c.toLowerCase());
      const names = csv(query, "name:in")?.map((n) => n.toLowerCase());
      const rows = storeOf(res).addresses.where(
        (a) =>
          (ids === undefined || ids.includes(a.id)) &&
          (customers === undefined || customers.includes(a.customer_id)) &&
          (companies === undefined || companies.includes(a.company.toLowerCase())) &&
          (names === undefined || names.includes(`${a.first_name} ${a.last_name}`.toLowerCase())),
      );
      const { data, pagination } = paginate(rows, request, rawQueryOf(req));
      res.json({ data: data.map((a) => addressView(a, include.includes("formfields"))), meta: { pagination } });
    })
    .post((req, res) => {
      const store = storeOf(res);
      const items = batchBody(req.body, MAX_BATCH_ITEMS, REQUIRED);
      const problems = new Problems();
      items.forEach((item) => checkAddressShape(problems, item, ""));
      if (problems.hasShape) throw jsonInvalid(problems.shape);
      items.forEach((item, i) => {
        requireFields(problems, `${i}.`, item, REQUIRED);
        if (typeof item.customer_id === "number" && !store.customers.has(item.customer_id)) {
          problems.rule(`${i}.customer_id`, "invalid customer ID");
        }
        checkAddressRules(problems, `${i}.`, withAddressDefaults(item));
      });
      if (problems.hasRules) throw v3Error(422, "Create customer addresses failed.", problems.rules);
      const written: AddressRecord[] = [];
      for (const item of items) {
        const candidate = { ...withAddressDefaults(item), customer_id: item.customer_id as number };
        if (isDuplicate(store, candidate)) continue;
        const formFields = Array.isArray(item.form_fields) ? structuredClone(item.form_fields) : [];
        written.push(store.addresses.insert({ ...candidate, form_fields: formFields }));
      }
      respond(res, written);
    })
    .put((req, res) => {
      const store = storeOf(res);
      const items = batchBody(req.body, MAX_BATCH_ITEMS, ["id"]);
      const problems = new Problems();
      items.forEach((item) => checkAddressShape(problems, item, ""));
      if (problems.hasShape) throw jsonInvalid(problems.shape);
      const merged = items.map((item, i) => {
        const existing = typeof item.id === "number" ? store.addresses.get(item.id) : undefined;
        if (existing === undefined) {
          problems.rule(`${i}.id`, "invalid address ID");
          return undefined;
        }
        // The owner of an address cannot be changed.
        if ("customer_id" in item && item.customer_id !== existing.customer_id) problems.rule(`${i}.customer_id`, "customer_id is read-only");
        const next: AddressRecord = { ...existing, ...withAddressDefaults({ ...existing, ...item }), id: existing.id, customer_id: existing.customer_id };
        if (Array.isArray(item.form_fields)) next.form_fields = structuredClone(item.form_fields) as AddressRecord["form_fields"];
        checkAddressRules(problems, `${i}.`, next);
        return next;
      });
      if (problems.hasRules) throw v3Error(422, "Update customer addresses failed.", problems.rules);
      const written: AddressRecord[] = [];
      for (const next of merged) {
        if (next === undefined || isDuplicate(store, next, next.id)) continue;
        written.push(store.addresses.save(next));
      }
      respond(res, written);
    })
    .delete((req, res) => {
      const store = storeOf(res);
      const query = queryOf(req);
      assertKnownFilters(query, ["id:in"]);
      for (const id of intList(query, "id:in") ?? []) store.addresses.delete(id);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
