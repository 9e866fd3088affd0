import type { Customer } from "../../../src/bigcommerce/api.js";

/** A customer as BigCommerce returns it, for the reconcile and outcome tables. */
export const ann: Customer = {
  id: 7,
  email: "ann@example.com",
  first_name: "Ann",
  last_name: "Lee",
  company: "",
  phone: "",
  notes: "",
  tax_exempt_category: "",
  customer_group_id: 0,
  registration_ip_address: "",
  date_created: "2025-01-01T10:00:05Z",
  date_modified: "2025-01-01T10:00:05Z",
  authentication: { force_password_reset: false },
  channel_ids: null,
};
