import type { BigCommerceClient } from "../bigcommerce/api.js";
import { assertLeaseHeld } from "./lease.js";

/**
 * The BigCommerce client with a fencing check before every write: when the write runs under a
 * shared lock's lease (RedisKeyedLock) that has expired or been taken over, it is refused with
 * LeaseLostError (a SCIM 503) instead of being sent. Outside a lease, and for reads, it is the
 * client unchanged. Used only with REDIS_URL; one replica alone needs no fencing.
 *
 * The check happens when the write is handed to the client. A write already queued in a batch
 * when the lease is lost still goes out; closing that gap needs the client to take the lease's
 * AbortSignal (see Lease.signal) and check it when the batch is sent.
 */
export function fenceWrites(client: BigCommerceClient): BigCommerceClient {
  const fenced =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      assertLeaseHeld();
      return write(...args);
    };
  // Every method spelled out: the client may be a class instance, whose methods a spread would drop.
  return {
    customers: {
      list: (query, signal) => client.customers.list(query, signal),
      get: (id) => client.customers.get(id),
      findByEmails: (emails) => client.customers.findByEmails(emails),
      create: fenced((item) => client.customers.create(item)),
      update: fenced((item) => client.customers.update(item)),
      delete: fenced((ids) => client.customers.delete(ids)),
    },
    attributes: {
      list: () => client.attributes.list(),
      create: fenced((items) => client.attributes.create(items)),
    },
    attributeValues: {
      list: (query) => client.attributeValues.list(query),
      upsert: fenced((items) => client.attributeValues.upsert(items)),
      upsertOne: fenced((item) => client.attributeValues.upsertOne(item)),
      delete: fenced((ids) => client.attributeValues.delete(ids)),
    },
    metafields: {
      list: (query) => client.metafields.list(query),
      create: fenced((items) => client.metafields.create(items)),
      createOne: fenced((item) => client.metafields.createOne(item)),
      update: fenced((items) => client.metafields.update(items)),
      delete: fenced((ids) => client.metafields.delete(ids)),
    },
    customerGroups: {
      list: (query) => client.customerGroups.list(query),
      get: (id) => client.customerGroups.get(id),
      count: () => client.customerGroups.count(),
      create: fenced((input) => client.customerGroups.create(input)),
      update: fenced((id, input) => client.customerGroups.update(id, input)),
      delete: fenced((id) => client.customerGroups.delete(id)),
    },
    channels: client.channels, // reads only
    close: () => client.close(),
  };
}
