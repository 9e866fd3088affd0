/**
 * Every switch of the emulator in one place. Defaults are BigCommerce's documented behaviour
 * where it is documented, and the stricter choice where public material is silent (each such
 * choice is listed in docs/emulator-differences.md).
 */

export type LimitOverMaxMode = "422" | "413" | "clamp";
export type ReadOnlyFieldMode = "reject" | "ignore";

export interface EmulatorOptions {
  /** Requests per window per store (BigCommerce Standard/Plus: 150). */
  rateQuota?: number;
  /** Length of the quota window in ms (BigCommerce: 30000). */
  rateWindowMs?: number;
  /** Fixed delay added before every API request is handled. */
  latencyMs?: number;
  /** When set, any other X-Auth-Token answers 401. When unset any non-empty token is accepted. */
  accessToken?: string;
  /**
   * The OAuth scopes of listed tokens (scopes.ts): a request outside them answers 403 "Missing
   * scope". A token not listed has every scope.
   */
  tokenScopes?: Record<string, string[]>;
  /** Write the valid items of a failing POST/PUT /v3/customers batch (and still answer 422). */
  partialBatchWrites?: boolean;
  /** What `limit` above 250 does: 422 (default), 413, or silently clamp to 250. */
  limitOverMax?: LimitOverMaxMode;
  /** PUT /v3/customers with addresses, attributes or a read-only field: reject (422) or drop. */
  putReadOnlyFields?: ReadOnlyFieldMode;
  /** `email:in` compares case-sensitively when true (default false: case-insensitive). */
  emailFilterCaseSensitive?: boolean;
  /** Enforce the default store password policy (>= 7 chars, letters and digits). */
  passwordPolicy?: boolean;
  /** Enforce per-endpoint concurrency caps (PUT customers 3, POST addresses 10, ...). */
  concurrencyCaps?: boolean;
  /** Return `meta.cursor_pagination` on customer lists and honour `before`/`after`. */
  cursorPagination?: boolean;
  /** Clock used for every timestamp (tests can pin it). */
  now?: () => Date;
  /** The storefront (served at the emulator's root) and the app allowed to sign customers in to it. */
  storefront?: StorefrontOptions;
  /**
   * The account sign-up form's custom fields (BigCommerce defines them in the control panel
   * only). null: not modelled, any form field name is accepted.
   */
  formFields?: FormFieldDefinition[] | null;
}

/** Field types of the sign-up form (customers.v3.yml, form-field-values `field_type`). */
export const FORM_FIELD_TYPES = ["checkboxes", "date", "multiline", "numbers", "password", "radiobuttons", "text", "picklist"] as const;
export interface FormFieldDefinition {
  name: string;
  type: (typeof FORM_FIELD_TYPES)[number];
  /** The choices of a pick list, radio buttons or checkboxes. */
  options?: string[];
}

export interface StorefrontOptions {
  /** The store whose storefront the emulator's root serves. */
  storeHash: string;
  /** The installed app's OAuth client id (`iss` of Customer Login JWTs) and secret (their HS256 key). */
  clientId: string;
  clientSecret: string;
  /** Shown as a "Sign in with your company account" link on /login.php (the theme's SSO link). */
  ssoLoginUrl?: string;
}

export type ResolvedOptions = Required<Omit<EmulatorOptions, "accessToken" | "storefront" | "tokenScopes" | "formFields">> & {
  formFields: FormFieldDefinition[] | null;
  accessToken?: string;
  tokenScopes?: Record<string, string[]>;
  storefront?: StorefrontOptions;
};

export const DEFAULT_OPTIONS: ResolvedOptions = {
  rateQuota: 150,
  rateWindowMs: 30_000,
  latencyMs: 0,
  partialBatchWrites: false,
  limitOverMax: "422",
  putReadOnlyFields: "reject",
  emailFilterCaseSensitive: false,
  passwordPolicy: true,
  concurrencyCaps: true,
  cursorPagination: true,
  formFields: null,
  now: () => new Date(),
};

export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_OPTIONS, ...defined } as ResolvedOptions;
}

/** BigCommerce's default and maximum page sizes (docs: common-query-params, integration-design). */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 250;
/** Items per POST/PUT batch on customers and attribute values. */
export const MAX_BATCH_ITEMS = 10;
/** Customer attribute definitions per store. */
export const MAX_ATTRIBUTES = 50;
