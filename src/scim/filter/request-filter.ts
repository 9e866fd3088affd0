import { parseFilter, type FilterAst } from "./parse.js";

/**
 * The one parse of a request's filter. The filter guard parses it before scimmy-routers runs
 * (so a bad filter is a 400 whatever the endpoint), and the list code later asks for the same
 * text and gets the same tree instead of parsing again.
 */
const parsedByRequest = new WeakMap<object, { text: string; ast: FilterAst }>();

export function filterOfRequest(request: object, text: string): FilterAst {
  const known = parsedByRequest.get(request);
  if (known && known.text === text) return known.ast;
  const ast = parseFilter(text);
  parsedByRequest.set(request, { text, ast });
  return ast;
}
