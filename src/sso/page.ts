/** The bridge's only HTML: the page a refused shopper sees, with a way back to the store. */
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function refusalPage(message: string, storefrontUrl: string | null): string {
  const back = storefrontUrl === null ? "" : `<p><a href="${escapeHtml(storefrontUrl)}/">Back to the store</a></p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in refused</title></head>` +
    `<body><h1>Sign-in refused</h1><p id="sso-refusal">${escapeHtml(message)}</p>${back}</body></html>`;
}
