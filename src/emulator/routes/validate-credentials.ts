/**
 * POST /v3/customers/validate-credentials: checks an email+password against the stored hash
 * and the customer's access to the channel (default 1), as channel-specific-customers.mdx
 * documents: a customer with `channel_ids: null` may sign in to channels that allow global
 * logins; one with an array, to exactly those channels. Where the documentation is silent the
 * stricter answer: a channel that does not exist (or is deleted) accepts nobody.
 */
import { Router } from "express";
import { type EmulatorContext, storeOf } from "../context.js";
import { jsonInvalid } from "../errors.js";
import { checkKinds, isPlainObject, Problems } from "../validation.js";
import { methodNotAllowed } from "./fallback.js";

export function validateCredentialsRouter(_ctx: EmulatorContext): Router {
  const router = Router({ mergeParams: true });
  router
    .route("/v3/customers/validate-credentials")
    .post((req, res) => {
      const store = storeOf(res);
      const body: unknown = req.body;
      if (!isPlainObject(body)) throw jsonInvalid({ email: "error.path.missing", password: "error.path.missing" });
      const problems = new Problems();
      checkKinds(problems, body, { email: "string", password: "string", channel_id: "int" });
      for (const field of ["email", "password"]) if (body[field] === undefined) problems.shapeError(field, "error.path.missing");
      if (problems.hasShape) throw jsonInvalid(problems.shape);
      const channelId = typeof body.channel_id === "number" ? body.channel_id : 1;
      const id = store.customers.idByEmail(body.email as string);
      const customer = id === undefined ? undefined : store.customers.get(id);
      const channel = store.channels.get(channelId);
      const channelOpen = channel !== undefined && channel.status !== "deleted" && channel.status !== "terminated";
      const channelOk =
        customer !== undefined &&
        channelOpen &&
        (customer.channel_ids === null ? store.settings.allowsGlobalLogins(channelId) : customer.channel_ids.includes(channelId));
      const valid = customer !== undefined && channelOk && store.customers.checkPassword(customer.id, body.password as string);
      res.json({ is_valid: valid, customer_id: valid ? customer.id : null });
    })
    .all(methodNotAllowed);
  return router;
}
