import SCIMMY from "scimmy";
import { BridgeGroup, BridgeUser } from "./resources.js";
import { BigCommerceCustomerExtension, prepareSchemas } from "./schemas.js";

let declared = false;

/**
 * Declares the bridge's resources with scimmy, once per process (scimmy's registry is global).
 * Nothing here depends on an app's configuration: discovery is built per app (discovery.ts).
 */
export function declareResources(): void {
  if (declared) return;
  declared = true;
  prepareSchemas();
  BridgeUser.extend(SCIMMY.Schemas.EnterpriseUser, false);
  BridgeUser.extend(BigCommerceCustomerExtension as never, false);
  SCIMMY.Resources.declare(BridgeUser as never, "User");
  SCIMMY.Resources.declare(BridgeGroup as never, "Group");
}

/**
 * What /ServiceProviderConfig says, set after the router is built (its constructor overwrites
 * these flags). It tells the truth: no bulk; ETags (meta.version, see http/preconditions.ts); passwords can be set with PUT/PATCH.
 */
export function configureServiceProvider(maxResults: number, documentationUri: string | undefined): void {
  SCIMMY.Config.set({
    ...(documentationUri ? { documentationUri } : {}),
    patch: true,
    bulk: false,
    filter: { supported: true, maxResults },
    changePassword: true,
    sort: true,
    etag: true,
  } as never);
}
