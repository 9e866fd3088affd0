import type { RequestHandler } from "express";
import { notFound } from "../scim/errors.js";
import { sendScimError } from "./error-handler.js";

/**
 * Every id this bridge issues is a canonical positive integer. Anything else cannot name a
 * resource, so it is 404 at once: no upstream call, and no chance for scimmy to read a quote
 * in the id as filter syntax and answer 400.
 */
const ID_PATH = /^\/(Users|Groups)\/([^/]+)\/?$/i;

export const resourceIdGuard: RequestHandler = (req, res, next) => {
  const m = ID_PATH.exec(req.path);
  if (!m || m[2] === ".search") return next();
  let id = m[2]!;
  try {
    id = decodeURIComponent(id);
  } catch {
    // an undecodable id is not ours either
  }
  if (/^[1-9][0-9]{0,9}$/.test(id) && Number(id) <= 2_147_483_647) return next();
  sendScimError(res, notFound(`${m[1] === "Groups" ? "Group" : "User"} ${id.slice(0, 64)}`));
};
