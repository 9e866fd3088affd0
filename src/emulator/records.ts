/**
 * The emulator's stored rows. They hold what BigCommerce keeps, not what it returns: views in
 * `views.ts` turn them into response objects (e.g. the password never leaves the store).
 */

export type FormFieldValueInput = string | number | string[];
export interface FormField {
  name: string;
  value: FormFieldValueInput;
}

export interface PasswordHash {
  salt: string;
  hash: string;
}

export interface CustomerRecord {
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
  force_password_reset: boolean;
  password: PasswordHash | null;
  accepts_product_review_abandoned_cart_emails: boolean;
  store_credit_amounts: { amount: number }[];
  origin_channel_id: number;
  channel_ids: number[] | null;
  form_fields: FormField[];
}

export type AddressType = "residential" | "commercial";

export interface AddressRecord {
  id: number;
  customer_id: number;
  first_name: string;
  last_name: string;
  company: string;
  address1: string;
  address2: string;
  city: string;
  state_or_province: string;
  postal_code: string;
  country_code: string;
  phone: string;
  address_type: AddressType;
  form_fields: FormField[];
}

export type AttributeType = "string" | "number" | "date";

export interface AttributeRecord {
  id: number;
  name: string;
  type: AttributeType;
  date_created: string;
  date_modified: string;
}

export interface AttributeValueRecord {
  id: number;
  attribute_id: number;
  customer_id: number;
  attribute_value: string;
  date_created: string;
  date_modified: string;
}

export type PermissionSet = "app_only" | "read" | "write" | "read_and_sf_access" | "write_and_sf_access";

export interface MetafieldRecord {
  id: number;
  namespace: string;
  key: string;
  value: string;
  description: string;
  permission_set: PermissionSet;
  resource_type: "customer";
  resource_id: number;
  owner_client_id: string;
  date_created: string;
  date_modified: string;
}

export interface CategoryAccess {
  type: "all" | "specific" | "none";
  categories?: number[];
}

export interface DiscountRule {
  type: "price_list" | "all" | "category" | "product";
  method?: "percent" | "fixed" | "price";
  amount?: string;
  price_list_id?: number;
  category_id?: number;
  product_id?: number;
}

export interface CustomerGroupRecord {
  id: number;
  name: string;
  is_default: boolean;
  category_access: CategoryAccess;
  discount_rules: DiscountRule[];
  date_created: string;
  date_modified: string;
  is_group_for_guests: boolean;
}

export interface CustomerSettings {
  privacy_settings: {
    ask_shopper_for_tracking_consent: boolean;
    policy_url: string;
    ask_shopper_for_tracking_consent_on_checkout: boolean;
  };
  customer_group_settings: {
    guest_customer_group_id: number;
    default_customer_group_id: number;
  };
}

/** Channel overrides: `null` means "inherit the global setting". */
export interface ChannelSettings {
  privacy_settings: {
    ask_shopper_for_tracking_consent: boolean | null;
    policy_url: string | null;
    ask_shopper_for_tracking_consent_on_checkout: boolean | null;
  };
  customer_group_settings: {
    guest_customer_group_id: number | null;
    default_customer_group_id: number | null;
  };
  allow_global_logins: boolean | null;
}

export type ChannelType = "storefront" | "marketplace" | "marketing" | "pos";

export type ChannelStatus = "prelaunch" | "active" | "inactive" | "connected" | "disconnected" | "archived" | "deleted" | "terminated";

/** A sales channel (`/v3/channels`). Channel 1 is the store's own storefront. */
export interface ChannelRecord {
  id: number;
  name: string;
  type: ChannelType;
  platform: string;
  status: ChannelStatus;
  external_id: string;
  is_listable_from_ui: boolean;
  is_visible: boolean;
  date_created: string;
  date_modified: string;
}
