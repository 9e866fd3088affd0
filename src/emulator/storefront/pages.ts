/** The emulated storefront's pages: just enough HTML for a person or a browser test to read. */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function accountPage(customer: { id: number; email: string; first_name: string; last_name: string }): string {
  const name = `${customer.first_name} ${customer.last_name}`.trim();
  return page(
    "Your account",
    `<p id="signed-in-as" data-customer-id="${customer.id}">Signed in as ${escapeHtml(name)} (${escapeHtml(customer.email)})</p>` +
      `<p><a href="/login.php?action=logout">Sign out</a></p>`,
  );
}

export function loginPage(options: { failed: boolean; ssoLoginUrl: string | undefined }): string {
  const failure = options.failed ? `<p id="login-error" role="alert">Invalid login attempt. Please try again.</p>` : "";
  const sso = options.ssoLoginUrl === undefined
    ? ""
    : `<p><a id="sso-sign-in" href="${escapeHtml(options.ssoLoginUrl)}">Sign in with your company account</a></p>`;
  return page("Sign in", `${failure}${sso}`);
}
