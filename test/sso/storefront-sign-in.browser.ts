import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSsoWorld, type SsoWorld } from "./harness.js";

/**
 * Storefront sign-in in a real browser: headless Chromium (Debian's package, driven by
 * playwright-core; no browser download) clicks the storefront's sign-in link, logs in at a real
 * OpenID provider (oidc-provider) and lands on the storefront signed in, or on a refusal page.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH): skipping the storefront sign-in browser tests`);

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  ann: { email: "Ann.Lee@example.com", email_verified: true },
  gone: { email: "gone@example.com", email_verified: true },
  stranger: { email: "stranger@example.com", email_verified: true },
};

describe.skipIf(!hasChromium)("storefront sign-in in Chromium", () => {
  let world: SsoWorld;
  let browser: Browser;
  let annId: string;

  beforeAll(async () => {
    world = await startSsoWorld({ accounts: (login) => ACCOUNTS[login] });
    annId = await world.provision({ userName: "ann.lee@example.com", name: { givenName: "Ann", familyName: "Lee" } });
    await world.deactivate(await world.provision({ userName: "gone@example.com", name: { givenName: "Gone", familyName: "User" } }));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  /** Storefront login page -> "Sign in with your company account" -> provider login and consent. */
  async function signInAs(login: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${world.storefrontUrl}/login.php`);
    await page.click("#sso-sign-in");
    await page.waitForURL((url) => url.href.startsWith(world.issuer));
    await page.fill('input[name="login"]', login);
    await page.fill('input[name="password"]', "any-password");
    await page.click('button[type="submit"]');
    await page.waitForSelector('button[type="submit"]:has-text("Continue")');
    await page.click('button[type="submit"]:has-text("Continue")');
    await page.waitForURL((url) => !url.href.startsWith(world.issuer));
    await page.waitForLoadState("load");
    return page;
  }

  it("signs a provisioned customer in and lands on the storefront account page as that customer", async () => {
    const page = await signInAs("ann");
    expect(page.url()).toBe(`${world.storefrontUrl}/account.php`);
    const who = page.locator("#signed-in-as");
    expect(await who.getAttribute("data-customer-id")).toBe(annId);
    expect(await who.textContent()).toContain("Ann Lee (ann.lee@example.com)");
    await page.context().close();
  });

  it("refuses a user the IdP deactivated through SCIM: a refusal page, and the storefront still signed out", async () => {
    const page = await signInAs("gone");
    expect(page.url().startsWith(`${world.bridgeUrl}/sso/callback?`)).toBe(true);
    expect(await page.locator("#sso-refusal").textContent()).toContain("deactivated");
    const response = await page.goto(`${world.storefrontUrl}/account.php`);
    expect(response?.url()).toBe(`${world.storefrontUrl}/login.php`);
    await page.context().close();
  });

  it("refuses a user with no customer account", async () => {
    const page = await signInAs("stranger");
    expect(await page.locator("#sso-refusal").textContent()).toContain("no customer account");
    await page.context().close();
  });
});
