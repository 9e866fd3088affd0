/**
 * /v3/customers: list with every documented filter, batch create, batch update, delete by
 * `id:in`. Batches are validated whole before anything is written (all-or-nothing) unless the
 * `partialBatchWrites` switch asks to simulate a store that writes the good items anyway.
 */
import { Router } from "express";
import { batchBody } from "../batch.js";
import { type EmulatorContext, queryOf, rawQueryOf, sendData, storeOf } from "../context.js";
import { checkCustomerRules, checkCustomerShape, PUT_FORBIDDEN } from "../customer-input.js";
import { jsonInvalid, v3Error } from "../errors.js";
import { MAX_BATCH_ITEMS } from "../options.js";
import { assertKnownFilters, intList } from "../query.js";
import type { CustomerRecord } from "../records.js";
import type { EmulatorStore } from "../store.js";
import { isoSeconds } from "../time.js";
import { isPlainObject, Problems } from "../validation.js";
import { customerView } from "../views.js";
import { listCustomers } from "./customer-list.js";
import { methodNotAllowed } from "./fallback.js";
import { withAddressDefaults } from "../address-rules.js";
import { upsertFormFields } from "../form-field-rules.js";

const TEXT_FIELDS = ["email", "first_name", "last_name", "company", "phone", "notes", "tax_exempt_category"] as const;

/** Applies the writable fields an item sends onto a customer row. */
function applyFields(row: CustomerRecord, item: Record<string, unknown>): CustomerRecord {
  const next = { ...row };
  for (const field of TEXT_FIELDS) if (typeof item[field] === "string") next[field] = item[field] as string;
  if (typeof item.customer_group_id === "number") next.customer_group_id = item.customer_group_id;
  if (typeof item.accepts_product_review_abandoned_cart_emails === "boolean") {
    next.accepts_product_review_abandoned_cart_emails = item.accepts_product_review_abandoned_cart_emails;
  }
  if (Array.isArray(item.store_credit_amounts)) {
    next.store_credit_amounts = (item.store_credit_amounts as { amount: number }[]).map((c) => ({ amount: c.amount }));
  }
  if (item.channel_ids !== undefined) next.channel_ids = item.channel_ids === null ? null : [...(item.channel_ids as number[])];
  if (Array.isArray(item.form_fields)) next.form_fields = upsertFormFields(row.form_fields, item.form_fields as CustomerRecord["form_fields"]);
  if (isPlainObject(item.authentication) && typeof item.authentication.force_password_reset === "boolean") {
    next.force_password_reset = item.authentication.force_password_reset;
  }
  return next;
}

function newPassword(item: Record<string, unknown>): string | undefined {
  const auth = item.authentication;
  return isPlainObject(auth) && typeof auth.new_password === "string" ? auth.new_password : undefined;
}

function createOne(store: EmulatorStore, item: Record<string, unknown>, now: string): CustomerRecord {
  const base = applyFields(
    {
      id: 0,
      email: "",
      first_name: "",
      last_name: "",
      company: "",
      phone: "",
      notes: "",
      tax_exempt_category: "",
      customer_group_id: store.defaultGroupId(),
      registration_ip_address: "",
      date_created: now,
      date_modified: now,
      force_password_reset: false,
      password: null,
      accepts_product_review_abandoned_cart_emails: false,
      store_credit_amounts: [{ amount: 0 }],
      origin_channel_id: typeof item.origin_channel_id === "number" ? item.origin_channel_id : 1,
      channel_ids: null,
      form_fields: [],
    },
    item,
  );
  const { id: _id, password: _password, ...seed } = base;
  const password = newPassword(item);
  const customer = store.customers.insert(password === undefined ? seed : { ...seed, password });
  for (const address of (item.addresses as Record<string, unknown>[] | undefined) ?? []) {
    const formFields = Array.isArray(address.form_fields) ? structuredClone(address.form_fields) : [];
    store.addresses.insert({ ...withAddressDefaults(address), customer_id: customer.id, form_fields: formFields });
  }
  for (const attribute of (item.attributes as Record<string, unknown>[] | undefined) ?? []) {
    store.attributeValues.insert({
      attribute_id: attribute.attribute_id as number,
      customer_id: customer.id,
      attribute_value: attribute.attribute_value as string,
    });
  }
  return customer;
}

function postCustomers(ctx: EmulatorContext, store: EmulatorStore, body: unknown): Record<string, unknown>[] {
  const items = batchBody(body, MAX_BATCH_ITEMS, ["email", "first_name", "last_name"]);
  const problems = new Problems();
  items.forEach((item) => checkCustomerShape(problems, item));
  if (problems.hasShape) throw jsonInvalid(problems.shape);
  items.forEach((item, i) => checkCustomerRules(problems, i, item, "create", store, ctx.options));

  // Duplicate emails: against the store and against earlier items of the same batch.
  const claimed = new Set<string>();
  const duplicates = new Set<number>();
  let firstDuplicate: string | undefined;
  items.forEach((item, i) => {
    if (typeof item.email !== "string") return;
    const key = item.email.toLowerCase();
    if (store.customers.idByEmail(key) !== undefined || claimed.has(key)) {
      duplicates.add(i);
      firstDuplicate ??= item.email;
    }
    claimed.add(key);
  });

  const failed = (i: number): boolean => duplicates.has(i) || Object.keys(problems.rules).some((k) => k.startsWith(`${i}.`));
  const errors: Record<string, string> = { ...problems.rules };
  if (firstDuplicate !== undefined) errors[".customer_create"] = `Error creating customers: email ${firstDuplicate} already in use`;
  const now = isoSeconds(ctx.now());
  if (Object.keys(errors).length > 0) {
    if (ctx.options.partialBatchWrites) items.forEach((item, i) => failed(i) || createOne(store, item, now));
    throw v3Error(422, "Create customers failed.", errors);
  }
  return items.map((item) => customerView(createOne(store, item, now), store, new Set(), true));
}

function putCustomers(ctx: EmulatorContext, store: EmulatorStore, body: unknown): Record<string, unknown>[] {
  const items = batchBody(body, MAX_BATCH_ITEMS, ["id"]);
  const problems = new Problems();
  items.forEach((item) => checkCustomerShape(problems, item));
  if (problems.hasShape) throw jsonInvalid(problems.shape);

  const reject = ctx.options.putReadOnlyFields === "reject";
  const seenIds = new Set<number>();
  items.forEach((item, i) => {
    const id = item.id;
    if (typeof id !== "number" || !store.customers.has(id)) problems.rule(`${i}.id`, "invalid customer ID");
    else if (seenIds.has(id)) problems.rule(`${i}.id`, "customer ID appears more than once in the request");
    if (typeof id === "number") seenIds.add(id);
    if (reject) {
      for (const [field, message] of Object.entries(PUT_FORBIDDEN)) if (field in item) problems.rule(`${i}.${field}`, message);
    }
    checkCustomerRules(problems, i, item, "update", store, ctx.options);
  });

  // Emails must stay unique once every item of the batch is applied (a swap inside one batch is fine).
  const batchEmail = new Map<number, string>();
  for (const item of items) {
    if (typeof item.id === "number" && typeof item.email === "string") batchEmail.set(item.id, item.email.toLowerCase());
  }
  items.forEach((item, i) => {
    if (typeof item.email !== "string" || typeof item.id !== "number") return;
    const key = item.email.toLowerCase();
    const holder = store.customers.idByEmail(key);
    const heldElsewhere = holder !== undefined && holder !== item.id && (batchEmail.get(holder) ?? key) === key;
    const claimedInBatch = [...batchEmail].some(([id, email]) => id !== item.id && email === key);
    if (heldElsewhere || claimedInBatch) problems.rule(`${i}.email`, `Error updating customers: email ${item.email} already in use`);
  });

  const now = isoSeconds(ctx.now());
  const apply = (item: Record<string, unknown>): CustomerRecord => {
    const row = store.customers.get(item.id as number) as CustomerRecord;
    const saved = store.customers.save({ ...applyFields(row, item), date_modified: now });
    const password = newPassword(item);
    if (password !== undefined) store.customers.setPassword(saved.id, password);
    return saved;
  };
  if (problems.hasRules) {
    if (ctx.options.partialBatchWrites) {
      items.forEach((item, i) => {
        if (Object.keys(problems.rules).some((k) => k.startsWith(`${i}.`))) return;
        try {
          apply(item);
        } catch {
          // an email swap that only works as a whole batch: skip, as a partial store would
        }
      });
    }
    throw v3Error(422, "Update customers failed.", problems.rules);
  }
  // Two-phase for email swaps inside one batch: free every changed email first.
  const changed = items.filter((item) => typeof item.email === "string");
  for (const item of changed) {
    const row = store.customers.get(item.id as number) as CustomerRecord;
    store.customers.save({ ...row, email: `\u0000swap-${row.id}` });
  }
  for (const item of changed) {
    const row = store.customers.get(item.id as number) as CustomerRecord;
    store.customers.save({ ...row, email: item.email as string });
  }
  return items.map((item) => customerView(apply(item), store, new Set(), true));
}

export function customersRouter(ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/customers")
    .get((req, res) => {
      res.json(listCustomers(ctx, storeOf(res), queryOf(req), rawQueryOf(req)));
    })
    .post((req, res) => {
      assertKnownFilters(queryOf(req), []);
      sendData(res, postCustomers(ctx, storeOf(res), req.body));
    })
    .put((req, res) => {
      assertKnownFilters(queryOf(req), []);
      sendData(res, putCustomers(ctx, storeOf(res), req.body));
    })
    .delete((req, res) => {
      const query = queryOf(req);
      assertKnownFilters(query, ["id:in"]);
      // Without id:in BigCommerce answers 204 and deletes nothing (spec note).
      const ids = intList(query, "id:in");
      if (ids !== undefined) storeOf(res).deleteCustomers(ids);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return router;
}
