/**
 * A minimal browser for tests without one: a cookie jar (per host, by path), manual redirects,
 * and HTML forms submitted with their hidden fields plus the values given (the provider's
 * login and consent pages).
 */
interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

export interface Step {
  url: string;
  status: number;
  location: string | null;
  body: string;
}

export class BrowserlessClient {
  readonly cookies: Cookie[] = [];
  readonly history: Step[] = [];

  cookie(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name)?.value;
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Step> {
    const target = new URL(url);
    const cookieHeader = this.cookies
      .filter((c) => c.host === target.hostname && target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
    const res = await fetch(url, {
      method: init.method ?? "GET",
      redirect: "manual",
      headers: {
        ...(cookieHeader ? { cookie: cookieHeader } : {}),
        ...(init.form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) this.store(target, line);
    const location = res.headers.get("location");
    const step: Step = { url, status: res.status, location: location === null ? null : new URL(location, url).href, body: await res.text() };
    this.history.push(step);
    return step;
  }

  /**
   * Follows redirects and submits forms until a page without a form (or `stopAt` matches a URL
   * about to be visited). `fields` fills visible inputs (e.g. login, password).
   */
  async browse(url: string, fields: Record<string, string> = {}, stopAt?: (url: string) => boolean): Promise<Step> {
    let step = await this.request(url);
    for (let i = 0; i < 20; i++) {
      if (step.location !== null && step.status >= 300 && step.status < 400) {
        if (stopAt?.(step.location)) return step;
        step = await this.request(step.location);
        continue;
      }
      const form = /<form[^>]*action="([^"]*)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(step.body);
      if (form === null || step.status !== 200) return step;
      const data: Record<string, string> = {};
      for (const input of form[2]!.matchAll(/<input[^>]*name="([^"]+)"[^>]*>/gi)) {
        const value = /value="([^"]*)"/.exec(input[0]);
        data[input[1]!] = fields[input[1]!] ?? value?.[1] ?? "";
      }
      step = await this.request(new URL(form[1]!.replace(/&amp;/g, "&"), step.url).href, { method: "POST", form: data });
    }
    throw new Error("too many steps");
  }

  private store(from: URL, line: string): void {
    const [pair, ...attrs] = line.split(";");
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    let path = "/";
    let expired = false;
    for (const attr of attrs) {
      const [k, v = ""] = attr.trim().split("=");
      if (k!.toLowerCase() === "path") path = v;
      if (k!.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
      if (k!.toLowerCase() === "expires" && Date.parse(v) <= Date.now()) expired = true;
    }
    const existing = this.cookies.findIndex((c) => c.name === name && c.host === from.hostname && c.path === path);
    if (existing !== -1) this.cookies.splice(existing, 1);
    if (!expired && value !== "") this.cookies.push({ name, value, host: from.hostname, path });
  }
}
