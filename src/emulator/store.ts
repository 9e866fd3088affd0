/**
 * One store's data: customers and their sub-resources, attribute definitions, metafields,
 * customer groups and settings. Each store hash gets its own EmulatorStore, so tests running in
 * parallel against one emulator never see each other's rows. Tests seed and inspect through the
 * same repositories the routes use (`store.customers.insert({...})`, `.all()`, `.get(id)`).
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { Repository } from "./repository.js";
import type {
  AddressRecord,
  AttributeRecord,
  AttributeValueRecord,
  ChannelRecord,
  ChannelSettings,
  CustomerGroupRecord,
  CustomerRecord,
  CustomerSettings,
  MetafieldRecord,
  PasswordHash,
} from "./records.js";
import { isoOffset, isoSeconds, v2DateTime } from "./time.js";

type Clock = () => Date;

/** Low scrypt cost: the hash only has to keep plain passwords out of memory dumps and logs. */
export function hashPassword(password: string): PasswordHash {
  const salt = randomBytes(16).toString("hex");
  return { salt, hash: scryptSync(password, salt, 32, { N: 1024 }).toString("hex") };
}

function passwordMatches(stored: PasswordHash, password: string): boolean {
  const candidate = scryptSync(password, stored.salt, 32, { N: 1024 });
  return timingSafeEqual(candidate, Buffer.from(stored.hash, "hex"));
}

export type CustomerSeed = Partial<Omit<CustomerRecord, "id" | "password">> &
  Pick<CustomerRecord, "email" | "first_name" | "last_name"> & { password?: string };

export class CustomerRepository extends Repository<CustomerRecord> {
  /** Lower-cased email -> id: BigCommerce treats emails as unique regardless of case. */
  private readonly byEmail = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly defaultGroupId: () => number,
  ) {
    super();
  }

  /** Adds a customer with BigCommerce's defaults for every omitted field. Throws on a taken email. */
  insert(seed: CustomerSeed): CustomerRecord {
    const key = seed.email.toLowerCase();
    if (this.byEmail.has(key)) throw new Error(`email ${seed.email} already in use`);
    const now = isoSeconds(this.clock());
    const { password, ...fields } = seed;
    const row = this.insertRow({
      company: "",
      phone: "",
      notes: "",
      tax_exempt_category: "",
      customer_group_id: this.defaultGroupId(),
      registration_ip_address: "",
      date_created: now,
      date_modified: now,
      force_password_reset: false,
      accepts_product_review_abandoned_cart_emails: false,
      store_credit_amounts: [{ amount: 0 }],
      origin_channel_id: 1,
      channel_ids: null,
      form_fields: [],
      ...fields,
      password: password === undefined ? null : hashPassword(password),
    });
    this.byEmail.set(key, row.id);
    return row;
  }

  override save(row: CustomerRecord): CustomerRecord {
    const previous = this.rows.get(row.id);
    if (previous === undefined) throw new Error(`no customer ${row.id}`);
    const key = row.email.toLowerCase();
    const owner = this.byEmail.get(key);
    if (owner !== undefined && owner !== row.id) throw new Error(`email ${row.email} already in use`);
    this.byEmail.delete(previous.email.toLowerCase());
    this.byEmail.set(key, row.id);
    return super.save(row);
  }

  override delete(id: number): boolean {
    const row = this.rows.get(id);
    if (row !== undefined) this.byEmail.delete(row.email.toLowerCase());
    return super.delete(id);
  }

  override clear(): void {
    super.clear();
    this.byEmail.clear();
  }

  /** The id of the customer holding this email (case-insensitive), if any. */
  idByEmail(email: string): number | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  setPassword(id: number, password: string): void {
    const row = this.rows.get(id);
    if (row === undefined) throw new Error(`no customer ${id}`);
    row.password = hashPassword(password);
  }

  checkPassword(id: number, password: string): boolean {
    const row = this.rows.get(id);
    return row?.password != null && passwordMatches(row.password, password);
  }
}

export type AddressSeed = Partial<Omit<AddressRecord, "id">> &
  Pick<AddressRecord, "customer_id" | "first_name" | "last_name" | "address1" | "city" | "country_code">;

export class AddressRepository extends Repository<AddressRecord> {
  insert(seed: AddressSeed): AddressRecord {
    return this.insertRow({
      company: "",
      address2: "",
      state_or_province: "",
      postal_code: "",
      phone: "",
      address_type: "residential",
      form_fields: [],
      ...seed,
    });
  }
}

export class AttributeRepository extends Repository<AttributeRecord> {
  constructor(private readonly clock: Clock) {
    super();
  }
  insert(seed: Pick<AttributeRecord, "name" | "type"> & Partial<AttributeRecord>): AttributeRecord {
    const now = isoSeconds(this.clock());
    return this.insertRow({ date_created: now, date_modified: now, ...seed });
  }
}

export class AttributeValueRepository extends Repository<AttributeValueRecord> {
  constructor(private readonly clock: Clock) {
    super();
  }
  insert(
    seed: Pick<AttributeValueRecord, "attribute_id" | "customer_id" | "attribute_value"> & Partial<AttributeValueRecord>,
  ): AttributeValueRecord {
    const now = isoSeconds(this.clock());
    return this.insertRow({ date_created: now, date_modified: now, ...seed });
  }
  /** The value a customer holds for an attribute (one per pair). */
  find(customerId: number, attributeId: number): AttributeValueRecord | undefined {
    return this.where((v) => v.customer_id === customerId && v.attribute_id === attributeId)[0];
  }
}

export type MetafieldSeed = Pick<MetafieldRecord, "namespace" | "key" | "value" | "resource_id"> &
  Partial<MetafieldRecord>;

export class MetafieldRepository extends Repository<MetafieldRecord> {
  constructor(private readonly clock: Clock) {
    super();
  }
  insert(seed: MetafieldSeed): MetafieldRecord {
    const now = isoOffset(this.clock());
    return this.insertRow({
      description: "",
      permission_set: "app_only",
      resource_type: "customer",
      owner_client_id: "emulator",
      date_created: now,
      date_modified: now,
      ...seed,
    });
  }
  /** The metafield of a resource with this namespace+key (the uniqueness BigCommerce enforces). */
  find(resourceId: number, namespace: string, key: string): MetafieldRecord | undefined {
    return this.where((m) => m.resource_id === resourceId && m.namespace === namespace && m.key === key)[0];
  }
}

export class CustomerGroupRepository extends Repository<CustomerGroupRecord> {
  constructor(private readonly clock: Clock) {
    super();
  }
  insert(seed: Pick<CustomerGroupRecord, "name"> & Partial<CustomerGroupRecord>): CustomerGroupRecord {
    const now = v2DateTime(this.clock());
    return this.insertRow({
      is_default: false,
      category_access: { type: "all" },
      discount_rules: [],
      date_created: now,
      date_modified: now,
      is_group_for_guests: false,
      ...seed,
    });
  }
}

export type ChannelSeed = Pick<ChannelRecord, "name" | "type" | "platform"> & Partial<Omit<ChannelRecord, "id">>;

/** Every store has channel 1, its BigCommerce storefront ("Will always return the default storefront"). */
export class ChannelRepository extends Repository<ChannelRecord> {
  constructor(private readonly clock: Clock) {
    super();
    this.seedDefault();
  }
  insert(seed: ChannelSeed): ChannelRecord {
    const now = isoSeconds(this.clock());
    return this.insertRow({
      status: seed.type === "storefront" ? "prelaunch" : "connected",
      external_id: "",
      is_listable_from_ui: true,
      is_visible: true,
      date_created: now,
      date_modified: now,
      ...seed,
    });
  }
  override clear(): void {
    super.clear();
    this.seedDefault();
  }
  private seedDefault(): void {
    this.insert({ name: "Sample Store", type: "storefront", platform: "bigcommerce", status: "active" });
  }
}

function defaultSettings(): CustomerSettings {
  return {
    privacy_settings: {
      ask_shopper_for_tracking_consent: false,
      policy_url: "",
      ask_shopper_for_tracking_consent_on_checkout: false,
    },
    customer_group_settings: { guest_customer_group_id: 0, default_customer_group_id: 0 },
  };
}

/** No overrides, except that global logins are on by default only for the default storefront. */
function defaultChannelSettings(channelId: number): ChannelSettings {
  return {
    privacy_settings: {
      ask_shopper_for_tracking_consent: null,
      policy_url: null,
      ask_shopper_for_tracking_consent_on_checkout: null,
    },
    customer_group_settings: { guest_customer_group_id: null, default_customer_group_id: null },
    allow_global_logins: channelId === 1,
  };
}

export class SettingsRepository {
  private global = defaultSettings();
  private readonly channels = new Map<number, ChannelSettings>();

  get(): CustomerSettings {
    return structuredClone(this.global);
  }
  set(settings: CustomerSettings): void {
    this.global = structuredClone(settings);
  }
  channel(channelId: number): ChannelSettings {
    return structuredClone(this.channels.get(channelId) ?? defaultChannelSettings(channelId));
  }
  setChannel(channelId: number, settings: ChannelSettings): void {
    this.channels.set(channelId, structuredClone(settings));
  }
  /** Effective `allow_global_logins` of a channel (a null override falls back to the default). */
  allowsGlobalLogins(channelId: number): boolean {
    return this.channels.get(channelId)?.allow_global_logins ?? channelId === 1;
  }
  clear(): void {
    this.global = defaultSettings();
    this.channels.clear();
  }
}

export class EmulatorStore {
  readonly groups: CustomerGroupRepository;
  readonly customers: CustomerRepository;
  readonly addresses = new AddressRepository();
  readonly attributes: AttributeRepository;
  readonly attributeValues: AttributeValueRepository;
  readonly metafields: MetafieldRepository;
  readonly settings = new SettingsRepository();
  readonly channels: ChannelRepository;

  constructor(
    readonly storeHash: string,
    clock: Clock = () => new Date(),
  ) {
    this.groups = new CustomerGroupRepository(clock);
    this.customers = new CustomerRepository(clock, () => this.defaultGroupId());
    this.attributes = new AttributeRepository(clock);
    this.attributeValues = new AttributeValueRepository(clock);
    this.metafields = new MetafieldRepository(clock);
    this.channels = new ChannelRepository(clock);
  }

  /** New customers join the group marked `is_default`, else the settings' default group, else 0. */
  defaultGroupId(): number {
    const flagged = this.groups.where((g) => g.is_default)[0];
    if (flagged !== undefined) return flagged.id;
    const configured = this.settings.get().customer_group_settings.default_customer_group_id;
    return this.groups.has(configured) ? configured : 0;
  }

  /** Deletes customers with everything hanging off them: addresses, attribute values, metafields. */
  deleteCustomers(ids: readonly number[]): void {
    const doomed = new Set(ids.filter((id) => this.customers.has(id)));
    for (const id of doomed) this.customers.delete(id);
    for (const a of this.addresses.where((a) => doomed.has(a.customer_id))) this.addresses.delete(a.id);
    for (const v of this.attributeValues.where((v) => doomed.has(v.customer_id))) this.attributeValues.delete(v.id);
    for (const m of this.metafields.where((m) => doomed.has(m.resource_id))) this.metafields.delete(m.id);
  }

  /** Deleting an attribute definition also deletes every customer's value for it (spec). */
  deleteAttributes(ids: readonly number[]): void {
    const doomed = new Set(ids);
    for (const id of doomed) this.attributes.delete(id);
    for (const v of this.attributeValues.where((v) => doomed.has(v.attribute_id))) this.attributeValues.delete(v.id);
  }

  /** Deleting a group unassigns its members (they fall back to group 0). */
  deleteGroup(id: number): void {
    this.groups.delete(id);
    for (const c of this.customers.where((c) => c.customer_group_id === id)) {
      this.customers.save({ ...c, customer_group_id: 0 });
    }
    const settings = this.settings.get();
    const groupSettings = settings.customer_group_settings;
    if (groupSettings.default_customer_group_id === id) groupSettings.default_customer_group_id = 0;
    if (groupSettings.guest_customer_group_id === id) groupSettings.guest_customer_group_id = 0;
    this.settings.set(settings);
  }

  clear(): void {
    this.customers.clear();
    this.addresses.clear();
    this.attributes.clear();
    this.attributeValues.clear();
    this.metafields.clear();
    this.groups.clear();
    this.settings.clear();
    this.channels.clear();
  }
}
