import type { Request } from "express";
import type { Logger } from "pino";
import type { UserViewContext } from "../mapping/customer-to-user.js";
import type { GroupService } from "./groups/group-service.js";
import type { UserReader } from "./users/user-reader.js";
import type { UserWriter } from "./users/user-writer.js";

/** Everything one app instance serves SCIM with (scimmy's resources are process-global). */
export interface ScimServices {
  users: { reader: UserReader; writer: UserWriter };
  groups: GroupService;
  userView(baseUrl: string): UserViewContext;
  pageSize: { default: number; max: number };
}

/** What scimmy-routers hands to our resource methods for one HTTP request. */
export interface RequestContext {
  services: ScimServices;
  baseUrl: string;
  req: Request;
  log: Logger;
}
