import { timingSafeEqual } from "node:crypto";

/**
 * Two strings compared without revealing through timing where they first differ (signatures,
 * OIDC state). Their lengths may differ observably, which tells nothing about a secret value.
 */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
