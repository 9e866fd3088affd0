import { LIST_RESPONSE } from "../mapping/urns.js";
import type { Json } from "./json.js";

/** A ListResponse whose itemsPerPage is what it holds (RFC 7644 §3.4.2), for every list the bridge answers. */
export function listResponse(resources: Json[], totalResults: number, startIndex: number): Json {
  return { schemas: [LIST_RESPONSE], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
