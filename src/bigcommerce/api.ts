/**
 * The contract between the SCIM layer and BigCommerce: plain data types for the payloads the
 * bridge exchanges with the Customers API, and the client interface the SCIM layer codes against.
 * The implementation (src/bigcommerce/client.ts) validates every response with zod before it
 * hands out one of these types.
 */
import type { ChannelsApi } from "./channels.js";

/** A BigCommerce customer id that has been checked to be a positive safe integer. */
export type CustomerId = number & { readonly __brand: "CustomerId" };
/** A customer group id (V2), checked the same way. */
export type CustomerGroupId = number & { readonly __brand: "CustomerGroupId" };
/** At least one element: the type of every id list that reaches a DELETE. */
export type NonEmpty<T> = readonly [T, ...T[]];

export interface CustomerAttributeValue {
  id: number;
  attribute_id: number;
  attribute_value: string;
  customer_id: number;
  date_created?: string;
  date_modified?: string;
}

export interface Customer {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  company: string;
  phone: string;
  notes: string;
  tax_exempt_category: string;
  customer_group_id: number;
  registration_ip_address: string;
  date_created: string;
  date_modified: string;
  authentication?: { force_password_reset: boolean };
  accepts_product_review_abandoned_cart_emails?: boolean;
  origin_channel_id?: number;
  channel_ids: number[] | null;
  /** Present only with include=attributes. */
  attributes?: CustomerAttributeValue[];
  /** Present only with include=addresses. */
  addresses?: CustomerAddress[];
  /** The sign-up form's field values; present only with include=formfields. */
  form_fields?: CustomerFormField[];
  /** Present on POST/PUT responses and with include=storecredit. */
  store_credit_amounts?: { amount: number }[];
}

/** A customer form field value (customers.v3.yml formFieldValue). */
export interface CustomerFormField {
  name: string;
  value: string | number | string[];
}

/**
 * What every read of a customer the bridge maps asks BigCommerce to include: the attribute values
 * (the bridge's own state, stored attributes) and the form field values (mapped form fields), in
 * the same call.
 */
export const CUSTOMER_INCLUDE: readonly CustomerInclude[] = ["attributes", "formfields"];

export interface CustomerAuthenticationInput {
  force_password_reset?: boolean;
  new_password?: string;
}

export interface CustomerCreate {
  email: string;
  first_name: string;
  last_name: string;
  company?: string;
  phone?: string;
  notes?: string;
  tax_exempt_category?: string;
  customer_group_id?: number;
  authentication?: CustomerAuthenticationInput;
  accepts_product_review_abandoned_cart_emails?: boolean;
  origin_channel_id?: number;
  channel_ids?: number[] | null;
  /** Inline attribute values (definitions must exist); at most 10. */
  attributes?: { attribute_id: number; attribute_value: string }[];
  form_fields?: CustomerFormField[];
}

/** PUT item: `id` plus only the fields to change (omitted fields are untouched upstream). */
export interface CustomerUpdate {
  id: CustomerId;
  email?: string;
  first_name?: string;
  last_name?: string;
  company?: string;
  phone?: string;
  notes?: string;
  tax_exempt_category?: string;
  customer_group_id?: number;
  authentication?: CustomerAuthenticationInput;
  accepts_product_review_abandoned_cart_emails?: boolean;
  channel_ids?: number[] | null;
  /** Upserted by name; "" removes a field's value. */
  form_fields?: CustomerFormField[];
}

export type CustomerSort =
  | "date_created:asc" | "date_created:desc"
  | "last_name:asc" | "last_name:desc"
  | "date_modified:asc" | "date_modified:desc";

export type CustomerInclude = "addresses" | "storecredit" | "attributes" | "formfields";

/**
 * GET /v3/customers query. Every list value is sent as one CSV parameter; the client refuses
 * (throws InvalidQueryError) any string value that contains a comma, so that one SCIM filter
 * value can never become two BigCommerce values.
 */
export interface CustomerListQuery {
  "id:in"?: readonly CustomerId[];
  "email:in"?: readonly string[];
  "name:in"?: readonly string[];
  "name:like"?: readonly string[];
  "company:in"?: readonly string[];
  "customer_group_id:in"?: readonly number[];
  "phone:in"?: readonly string[];
  "date_created:min"?: string;
  "date_created:max"?: string;
  "date_modified:min"?: string;
  "date_modified:max"?: string;
  include?: readonly CustomerInclude[];
  sort?: CustomerSort;
  page?: number;
  /** 1..250 */
  limit?: number;
}

export interface Pagination {
  total: number;
  count: number;
  per_page: number;
  current_page: number;
  total_pages: number;
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}

export interface AttributeDefinition {
  id: number;
  name: string;
  type: "string" | "number" | "date";
  date_created?: string;
  date_modified?: string;
}

/** The address fields the bridge writes (the others keep BigCommerce's defaults or the stored value). */
export interface AddressFields {
  first_name: string;
  last_name: string;
  address1: string;
  address2: string;
  city: string;
  state_or_province: string;
  postal_code: string;
  country_code: string;
}

/** A customer address (`/v3/customers/addresses`, or inside a customer with include=addresses). */
export interface CustomerAddress extends AddressFields {
  id: number;
  customer_id: number;
  company: string;
  phone: string;
  address_type: string;
}

export interface AddressCreate extends AddressFields {
  customer_id: CustomerId;
  address_type?: "residential" | "commercial";
}

/** PUT item: `id` plus the fields to change (the owner cannot change). */
export interface AddressUpdate extends Partial<AddressFields> {
  id: number;
}

export interface AttributeValueUpsert {
  attribute_id: number;
  customer_id: CustomerId;
  value: string;
}

export interface Metafield {
  id: number;
  namespace: string;
  key: string;
  value: string;
  permission_set: string;
  resource_type: string;
  resource_id: number;
  description?: string;
  date_created?: string;
  date_modified?: string;
}

export interface MetafieldCreate {
  resource_id: CustomerId;
  namespace: string;
  key: string;
  value: string;
  permission_set: "app_only" | "read" | "write" | "read_and_sf_access" | "write_and_sf_access";
  description?: string;
}

export interface MetafieldUpdate {
  id: number;
  resource_id: CustomerId;
  value?: string;
  key?: string;
  namespace?: string;
}

export interface MetafieldListQuery {
  namespace?: string;
  key?: string;
  "key:in"?: readonly string[];
  page?: number;
  limit?: number;
}

export interface CustomerGroup {
  id: number;
  name: string;
  is_default: boolean;
  date_created?: string;
  date_modified?: string;
  is_group_for_guests?: boolean;
  category_access?: { type: "all" | "specific" | "none"; categories?: number[] };
  discount_rules?: unknown[];
}

export interface CustomerGroupListQuery {
  name?: string;
  "name:like"?: string;
  page?: number;
  /** 1..250 */
  limit?: number;
}

/** One item's result in a batch call: its value, or the error that belongs to it alone. */
export type ItemOutcome<T> = { ok: true; value: T } | { ok: false; error: Error };

export interface BigCommerceClient {
  customers: {
    /** One GET /v3/customers. */
    list(query: CustomerListQuery, signal?: AbortSignal): Promise<Page<Customer>>;
    /**
     * Creates one customer through the coalescing batcher: concurrent calls share POST batches
     * of up to 10; after any failed or lost batch the batcher re-reads by `email:in` before it
     * decides each item's fate. Rejects with ConflictError (duplicate email),
     * ValidationFailedError (naming the field), RateLimitedError, UpstreamUnavailableError.
     */
    create(item: CustomerCreate): Promise<Customer>;
    /**
     * Updates one customer through the coalescing batcher (PUT batches of up to 10, at most
     * one item per customer id per batch, at most 3 PUTs in flight). Rejects with
     * NotFoundError for an unknown id, ConflictError for a duplicate email,
     * ValidationFailedError, RateLimitedError, UpstreamUnavailableError.
     */
    update(item: CustomerUpdate): Promise<Customer>;
    /** DELETE /v3/customers?id:in=… with exactly these validated ids (at most 250). */
    delete(ids: NonEmpty<CustomerId>): Promise<void>;
    /**
     * The customer with this id, with its attribute values, or undefined. Concurrent reads
     * share one `id:in` call (merged-reads.ts).
     */
    get(id: CustomerId): Promise<Customer | undefined>;
    /**
     * Customers whose email is one of these, compared ignoring case, with their attribute
     * values. Concurrent lookups share one `email:in` call (merged-reads.ts). Rejects an empty
     * email or one containing a comma with InvalidQueryError, before any I/O.
     */
    findByEmails(emails: readonly string[]): Promise<Customer[]>;
  };
  attributes: {
    /** Every attribute definition of the store (follows pages). */
    list(): Promise<AttributeDefinition[]>;
    create(items: readonly { name: string; type: AttributeDefinition["type"] }[]): Promise<AttributeDefinition[]>;
  };
  attributeValues: {
    /** PUT /v3/customers/attribute-values (upsert), at most 10 items per call (the client splits). */
    upsert(items: readonly AttributeValueUpsert[]): Promise<CustomerAttributeValue[]>;
    /**
     * One value; concurrent calls share PUTs of up to 10 (shared-writes.ts). Resolves with the
     * value as written (id 0 when BigCommerce's answer left it out).
     */
    upsertOne(item: AttributeValueUpsert): Promise<CustomerAttributeValue>;
    /** One page of values, by attribute and modification time. */
    list(query: {
      "attribute_id:in"?: readonly number[];
      "date_modified:min"?: string;
      page?: number;
      limit?: number;
    }): Promise<Page<CustomerAttributeValue>>;
    delete(ids: NonEmpty<number>): Promise<void>;
  };
  addresses: {
    /**
     * Creates one address; concurrent calls share POSTs of up to 10 (shared-writes.ts).
     * Resolves with the address, or undefined when BigCommerce answered that it duplicates an
     * address the customer already has (it then writes nothing, spec).
     */
    createOne(item: AddressCreate): Promise<CustomerAddress | undefined>;
    /**
     * Updates one address in place; concurrent calls share PUTs of up to 10. Resolves with the
     * address, or undefined when the change would make it a duplicate of another address of
     * the customer (BigCommerce then changes nothing, spec).
     */
    updateOne(item: AddressUpdate): Promise<CustomerAddress | undefined>;
    /** Deletes one address by id; concurrent calls share `DELETE ?id:in=` calls. */
    deleteOne(id: number): Promise<void>;
  };
  metafields: {
    list(query: MetafieldListQuery): Promise<Page<Metafield>>;
    create(items: readonly MetafieldCreate[]): Promise<Metafield[]>;
    /**
     * One metafield; concurrent calls share POSTs (shared-writes.ts). ConflictError when it
     * exists already; undefined when BigCommerce's answer left it out.
     */
    createOne(item: MetafieldCreate): Promise<Metafield | undefined>;
    update(items: readonly MetafieldUpdate[]): Promise<Metafield[]>;
    delete(ids: NonEmpty<number>): Promise<void>;
  };
  customerGroups: {
    list(query: CustomerGroupListQuery): Promise<CustomerGroup[]>;
    /** null when BigCommerce answers 404. */
    get(id: CustomerGroupId): Promise<CustomerGroup | null>;
    create(input: { name: string }): Promise<CustomerGroup>;
    update(id: CustomerGroupId, input: { name?: string }): Promise<CustomerGroup>;
    delete(id: CustomerGroupId): Promise<void>;
    count(): Promise<number>;
  };
  /** The store's channels, read-only (src/bigcommerce/channels.ts). */
  channels: ChannelsApi;
  /** Stops timers and closes the connection pool. */
  close(): Promise<void>;
}
