/**
 * Stored rows -> response objects, with keys in the order captured responses show them.
 * Write-only data (passwords) never appears here.
 */
import { countryName } from "./address-rules.js";
import type {
  AddressRecord,
  AttributeRecord,
  AttributeValueRecord,
  CustomerGroupRecord,
  CustomerRecord,
  MetafieldRecord,
} from "./records.js";
import type { EmulatorStore } from "./store.js";

export type CustomerInclude = "addresses" | "storecredit" | "attributes" | "formfields";

export function addressView(address: AddressRecord, withFormFields: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: address.id,
    customer_id: address.customer_id,
    first_name: address.first_name,
    last_name: address.last_name,
    company: address.company,
    address1: address.address1,
    address2: address.address2,
    city: address.city,
    state_or_province: address.state_or_province,
    postal_code: address.postal_code,
    country: countryName(address.country_code) ?? "",
    country_code: address.country_code,
    phone: address.phone,
    address_type: address.address_type,
  };
  if (withFormFields) {
    view.form_fields = address.form_fields.map((f) => ({ name: f.name, value: f.value, address_id: address.id }));
  }
  return view;
}

export function attributeValueView(value: AttributeValueRecord): Record<string, unknown> {
  return {
    id: value.id,
    customer_id: value.customer_id,
    attribute_id: value.attribute_id,
    attribute_value: value.attribute_value,
    date_created: value.date_created,
    date_modified: value.date_modified,
  };
}

export function attributeView(attribute: AttributeRecord): Record<string, unknown> {
  return {
    id: attribute.id,
    name: attribute.name,
    type: attribute.type,
    date_created: attribute.date_created,
    date_modified: attribute.date_modified,
  };
}

/**
 * A customer as BigCommerce returns it. `store_credit_amounts` appears on POST/PUT responses
 * and on GET only with include=storecredit (observed); sub-resources only when included.
 */
export function customerView(
  customer: CustomerRecord,
  store: EmulatorStore,
  includes: ReadonlySet<CustomerInclude>,
  withStoreCredit: boolean,
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: customer.id,
    authentication: { force_password_reset: customer.force_password_reset },
    company: customer.company,
    customer_group_id: customer.customer_group_id,
    email: customer.email,
    first_name: customer.first_name,
    last_name: customer.last_name,
    notes: customer.notes,
    phone: customer.phone,
    registration_ip_address: customer.registration_ip_address,
    tax_exempt_category: customer.tax_exempt_category,
    date_created: customer.date_created,
    date_modified: customer.date_modified,
    accepts_product_review_abandoned_cart_emails: customer.accepts_product_review_abandoned_cart_emails,
  };
  if (withStoreCredit || includes.has("storecredit")) {
    view.store_credit_amounts = customer.store_credit_amounts.map((s) => ({ amount: s.amount }));
  }
  view.origin_channel_id = customer.origin_channel_id;
  view.channel_ids = customer.channel_ids === null ? null : [...customer.channel_ids];
  if (includes.has("addresses")) {
    const addresses = store.addresses.where((a) => a.customer_id === customer.id);
    view.addresses = addresses.map((a) => addressView(a, includes.has("formfields")));
    view.address_count = addresses.length;
  }
  if (includes.has("attributes")) {
    const values = store.attributeValues.where((v) => v.customer_id === customer.id);
    view.attributes = values.map(attributeValueView);
    view.attribute_count = values.length;
  }
  if (includes.has("formfields")) {
    view.form_fields = customer.form_fields.map((f) => ({ name: f.name, value: f.value, customer_id: customer.id }));
  }
  return view;
}

export function metafieldView(metafield: MetafieldRecord, fields?: ReadonlySet<string>): Record<string, unknown> {
  const full: Record<string, unknown> = {
    id: metafield.id,
    key: metafield.key,
    value: metafield.value,
    namespace: metafield.namespace,
    permission_set: metafield.permission_set,
    resource_type: metafield.resource_type,
    resource_id: metafield.resource_id,
    description: metafield.description,
    date_created: metafield.date_created,
    date_modified: metafield.date_modified,
    owner_client_id: metafield.owner_client_id,
  };
  if (fields === undefined) return full;
  return Object.fromEntries(Object.entries(full).filter(([key]) => key === "id" || fields.has(key)));
}

export function groupView(group: CustomerGroupRecord): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    is_default: group.is_default,
    category_access: structuredClone(group.category_access),
    discount_rules: structuredClone(group.discount_rules),
    date_created: group.date_created,
    date_modified: group.date_modified,
    is_group_for_guests: group.is_group_for_guests,
  };
}
