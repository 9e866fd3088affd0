/**
 * The one rule for comparing email addresses, used by every lookup, uniqueness check and
 * sign-in: A-Z fold to a-z, nothing else does. String.prototype.toLowerCase() also folds some
 * non-ASCII letters onto ASCII ones (KELVIN SIGN U+212A -> "k", U+0130 -> "i̇"), so under it
 * "user\u212A@x" and "userk@x" are one address, and an IdP looking up one would be linked to
 * the other person's account. What BigCommerce returns for an `email:in` lookup is re-checked
 * with this rule, whatever folding BigCommerce applies.
 */
export function foldEmail(email: string): string {
  return email.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** The same address under foldEmail. */
export function sameEmail(a: string, b: string): boolean {
  return foldEmail(a) === foldEmail(b);
}
