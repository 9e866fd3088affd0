/**
 * A small unauthenticated control API under /__emulator for the standalone emulator (benchmarks
 * and manual runs cannot reach the in-process handles): read/clear the request log, reset,
 * manage fault rules, change options.
 */
import { Router } from "express";
import { z } from "zod";
import type { FaultInjector, FaultRule } from "./faults.js";
import { FORM_FIELD_TYPES, type EmulatorOptions } from "./options.js";
import type { RequestLogEntry } from "./request-log.js";

export interface AdminHandles {
  requests: RequestLogEntry[];
  clearRequests(): void;
  faults: FaultInjector;
  reset(): void;
  setOptions(partial: Partial<EmulatorOptions>): void;
}

const faultSchema = z.object({
  method: z.string().optional(),
  path: z.string().optional(),
  pathPattern: z.string().optional(),
  storeHash: z.string().optional(),
  skip: z.number().int().nonnegative().optional(),
  count: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  rateHeaders: z.boolean().optional(),
  delayMs: z.number().nonnegative().optional(),
  delayAfterHandlingMs: z.number().nonnegative().optional(),
  dropResponse: z.boolean().optional(),
  dropRequest: z.boolean().optional(),
});

const optionsSchema = z
  .object({
    rateQuota: z.number().int().positive(),
    rateWindowMs: z.number().int().positive(),
    latencyMs: z.number().int().nonnegative(),
    accessToken: z.string().min(1),
    tokenScopes: z.record(z.string().min(1), z.array(z.string().min(1)).max(50)),
    partialBatchWrites: z.boolean(),
    limitOverMax: z.enum(["422", "413", "clamp"]),
    putReadOnlyFields: z.enum(["reject", "ignore"]),
    emailFilterCaseSensitive: z.boolean(),
    passwordPolicy: z.boolean(),
    concurrencyCaps: z.boolean(),
    cursorPagination: z.boolean(),
    formFields: z
      .array(z.strictObject({ name: z.string().min(1), type: z.enum(FORM_FIELD_TYPES), options: z.array(z.string()).optional() }))
      .nullable(),
  })
  .partial()
  .strict();

export function adminRouter(handles: AdminHandles): Router {
  const router = Router();
  router.get("/requests", (_req, res) => void res.json(handles.requests));
  router.delete("/requests", (_req, res) => {
    handles.clearRequests();
    res.status(204).end();
  });
  router.post("/reset", (_req, res) => {
    handles.reset();
    res.status(204).end();
  });
  router.get("/faults", (_req, res) => void res.json(handles.faults.list().map((r) => ({ ...r, path: String(r.path) }))));
  router.post("/faults", (req, res) => {
    const parsed = faultSchema.safeParse(req.body);
    const path = parsed.success ? (parsed.data.pathPattern !== undefined ? new RegExp(parsed.data.pathPattern) : parsed.data.path) : undefined;
    if (!parsed.success || path === undefined) {
      res.status(400).json({ error: parsed.success ? "path or pathPattern is required" : z.prettifyError(parsed.error) });
      return;
    }
    const { pathPattern: _pattern, ...rule } = parsed.data;
    res.status(201).json({ id: handles.faults.add({ ...rule, path } as FaultRule) });
  });
  router.delete("/faults", (_req, res) => {
    handles.faults.clear();
    res.status(204).end();
  });
  router.delete("/faults/:id", (req, res) => void res.status(handles.faults.remove(req.params.id) ? 204 : 404).end());
  router.patch("/options", (req, res) => {
    const parsed = optionsSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: z.prettifyError(parsed.error) });
      return;
    }
    handles.setOptions(parsed.data);
    res.status(204).end();
  });
  return router;
}
