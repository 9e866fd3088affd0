import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";

export interface JwtSettings {
  secret: string | null;
  jwksUrl: string | null;
  issuer: string;
  audience: string;
  /** A token's sub, client_id or azp must be one of these; null = any subject of the issuer. */
  allowedSubjects: readonly string[] | null;
  /** Longest accepted lifetime (exp - iat) and age (now - iat), in seconds. */
  maxAgeS: number;
}

/** Clock skew tolerated between the issuer and this process, in seconds. */
const CLOCK_TOLERANCE_S = 30;

/** The claims that name who a token was issued to; the allow-list matches any of them. */
const SUBJECT_CLAIMS = ["sub", "client_id", "azp"] as const;

/**
 * Verifies JWT bearer tokens with a shared secret (HS256/384/512) or a JWKS URL. A token is a
 * SCIM administrator only when it comes from the configured issuer, names this bridge as its
 * audience, expires, is not older or longer-lived than maxAgeS, and (with an allow-list) was
 * issued to an allowed subject.
 */
export class JwtVerifier {
  private readonly key: Parameters<typeof jwtVerify>[1];

  constructor(
    private readonly settings: JwtSettings,
    private readonly now: () => number = Date.now,
  ) {
    if (settings.jwksUrl) this.key = createRemoteJWKSet(new URL(settings.jwksUrl));
    else this.key = new TextEncoder().encode(settings.secret ?? "");
  }

  async verify(token: string): Promise<JWTPayload> {
    const nowMs = this.now();
    const { payload } = await jwtVerify(token, this.key as never, {
      issuer: this.settings.issuer,
      audience: this.settings.audience,
      ...(this.settings.secret ? { algorithms: ["HS256", "HS384", "HS512"] } : {}),
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(nowMs),
      requiredClaims: ["exp"], // a token that never expires is refused
    });
    this.checkAge(payload, nowMs / 1000);
    this.checkSubject(payload);
    return payload;
  }

  /**
   * A long-lived token is a standing credential: its lifetime and its age are bounded. Without
   * `iat` the time left until `exp` is what is bounded (the issuer says nothing older).
   */
  private checkAge(payload: JWTPayload, now: number): void {
    const max = this.settings.maxAgeS;
    const exp = payload.exp!;
    const iat = payload.iat;
    const tooLong =
      iat === undefined
        ? exp - now > max + CLOCK_TOLERANCE_S
        : exp - iat > max || now - iat > max + CLOCK_TOLERANCE_S || iat > now + CLOCK_TOLERANCE_S;
    if (tooLong) throw new errors.JWTClaimValidationFailed(`token lifetime or age exceeds ${max} s`, payload, "iat", "check_failed");
  }

  private checkSubject(payload: JWTPayload): void {
    const allowed = this.settings.allowedSubjects;
    if (allowed === null) return;
    const named = SUBJECT_CLAIMS.map((c) => payload[c]).filter((v): v is string => typeof v === "string");
    if (!named.some((v) => allowed.includes(v))) {
      throw new errors.JWTClaimValidationFailed("subject not allowed", payload, "sub", "check_failed");
    }
  }
}
