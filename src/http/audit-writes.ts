import type { RequestHandler } from "express";
import type { AuditEvent, AuditTrail } from "../audit/audit-trail.js";
import { CallCounter, runWithCallTally } from "../bigcommerce/index.js";
import { currentScope } from "./request-scope.js";

/**
 * The audit trail of SCIM writes: one event per POST, PUT, PATCH or DELETE of a User or Group,
 * written when its answer has been sent (or the client went away), success or failure. The
 * services say what they changed (`noteChange`); this middleware knows the rest: the client,
 * the outcome, and, through the request's call tally, every BigCommerce call that carried its
 * work. Mounted after forwarding to the leader, so with replicas the replica that does the work
 * records it, once.
 */

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const OPERATION_OF_METHOD: Record<string, string> = { POST: "create", PUT: "replace", PATCH: "patch", DELETE: "delete" };
/** Hostile bodies may name thousands of attributes: the event keeps a bounded list. */
const MAX_NAMES = 50;
const MAX_NAME_LENGTH = 120;

/** What a request is recording, kept in its request scope. */
export interface AuditRecord {
  operation: string;
  resourceType: "User" | "Group";
  resourceId: string | undefined;
  changed: string[] | undefined;
}

/** A service's account of a change it made (the user writer, the group service). */
export interface ChangeNote {
  resourceType: "User" | "Group";
  operation: string;
  resourceId: number;
  changed: string[];
}

export function auditWrites(trail: AuditTrail): RequestHandler {
  return (req, res, next) => {
    const match = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/.exec(req.path);
    if (!WRITES.has(req.method) || !match) {
      next();
      return;
    }
    const record: AuditRecord = {
      operation: OPERATION_OF_METHOD[req.method]!,
      resourceType: match[1] === "Users" ? "User" : "Group",
      resourceId: match[2] !== undefined ? match[2].slice(0, 32) : undefined,
      changed: undefined,
    };
    const calls = new CallCounter();
    const scope = currentScope();
    if (scope) scope.audit = record;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const ok = res.writableFinished && res.statusCode < 400;
      const event: AuditEvent = {
        kind: "scim",
        operation: record.operation,
        resourceType: record.resourceType,
        ...(record.resourceId !== undefined ? { resourceId: record.resourceId } : {}),
        ...(scope ? { client: scope.client, requestId: scope.requestId } : {}),
        ...(ok && record.changed ? { changed: record.changed } : {}),
        requested: requestedNames(req.method, req.body),
        upstreamCalls: calls.total,
        upstreamCallsByEndpoint: Object.fromEntries(calls.byEndpoint),
        outcome: ok ? "success" : "failure",
        // 0: the client went away before the answer was sent.
        status: res.writableFinished ? res.statusCode : 0,
      };
      trail.record(event);
    };
    res.once("finish", finish);
    res.once("close", finish);
    // The caller hung up before its request got here (during a JWT's check): "close" has come and
    // gone, yet the work goes on (idp-connection.ts). Recorded now, as any caller that leaves
    // before its answer is (status 0), or never.
    if (res.destroyed) finish();
    runWithCallTally(calls, next);
  };
}

/**
 * Records a service's change on the request's audit event. A write outside a SCIM request
 * (storefront sign-in's just-in-time create) is recorded by its own caller, the sign-in router.
 */
export function noteChange(note: ChangeNote): void {
  const record = currentScope()?.audit;
  if (!record || record.resourceType !== note.resourceType) return;
  record.operation = note.operation;
  record.resourceId = String(note.resourceId);
  record.changed = bounded(note.changed);
}

/** The attribute names a write asked to change: body keys, or PATCH paths (filters' values cut out: they may hold emails). */
export function requestedNames(method: string, body: unknown): string[] {
  if (method === "DELETE" || typeof body !== "object" || body === null || Array.isArray(body)) return [];
  const names: string[] = [];
  const add = (value: object) => {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "schemas" || key === "meta" || key === "id") continue;
      // Extension objects: name their attributes, URN-qualified.
      if (key.startsWith("urn:") && typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
        for (const sub of Object.keys(inner)) names.push(`${key}:${sub}`);
      } else names.push(key);
    }
  };
  if (method !== "PATCH") add(body);
  else {
    const ops = (body as { Operations?: unknown }).Operations;
    for (const op of Array.isArray(ops) ? ops : []) {
      if (typeof op !== "object" || op === null) continue;
      const { path, value } = op as { path?: unknown; value?: unknown };
      if (typeof path === "string" && path !== "") names.push(path.replace(/\[[^\]]*\]/g, "[]"));
      else if (typeof value === "object" && value !== null && !Array.isArray(value)) add(value);
      if (names.length >= MAX_NAMES) break;
    }
  }
  return bounded(names);
}

function bounded(names: readonly string[]): string[] {
  return [...new Set(names.map((n) => n.slice(0, MAX_NAME_LENGTH)))].slice(0, MAX_NAMES);
}
