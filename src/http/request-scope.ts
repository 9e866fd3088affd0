import { AsyncLocalStorage } from "node:async_hooks";
import type { RequestHandler } from "express";
import type { AuditRecord } from "./audit-writes.js";

/**
 * Who asked for what, available to code deep below the HTTP layer (audit lines) without
 * threading it through every call. Entered right after authentication.
 */
export interface RequestScope {
  requestId: string;
  client: string;
  /** A SCIM write's audit event in the making (audit-writes.ts). */
  audit?: AuditRecord;
}

const storage = new AsyncLocalStorage<RequestScope>();

export const currentScope = (): RequestScope | undefined => storage.getStore();

export const enterRequestScope: RequestHandler = (req, _res, next) => {
  storage.run({ requestId: String(req.id ?? ""), client: req.scimClient ?? "unknown" }, next);
};
