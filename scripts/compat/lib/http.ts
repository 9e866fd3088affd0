/** One HTTP exchange as the suites see it: raw text, parsed JSON when it parses, timing. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
  timeMs: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Sends a request. The URL goes through WHATWG URL parsing, which percent-encodes raw spaces and
 * quotes in the query the way Runscope, Postman and Entra's client put them on the wire; `+`
 * stays a literal `+` (a form-encoded space to the server).
 */
export async function send(req: HttpRequest): Promise<HttpResult> {
  const url = new URL(req.url).toString();
  const started = performance.now();
  const res = await fetch(url, {
    method: req.method,
    headers: req.headers ?? {},
    ...(req.body !== undefined && req.method !== "GET" && req.method !== "HEAD" ? { body: req.body } : {}),
    redirect: "manual",
  });
  const text = await res.text();
  const timeMs = performance.now() - started;
  let json: unknown = undefined;
  if (text.length > 0) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, headers: res.headers, text, json, timeMs };
}

/** Short, single-line rendering of a response for failure details. */
export function brief(res: HttpResult, max = 300): string {
  const body = res.text.replace(/\s+/g, " ");
  return `${res.status} ${body.length > max ? `${body.slice(0, max)}…` : body}`;
}
