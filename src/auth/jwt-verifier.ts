import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";

export interface JwtSettings {
  secret: string | null;
  jwksUrl: string | null;
  issuer: string | null;
  audience: string | null;
}

/** Verifies JWT bearer tokens with a shared secret (HS256/384/512) or a JWKS URL. */
export class JwtVerifier {
  private readonly key: Parameters<typeof jwtVerify>[1];

  constructor(private readonly settings: JwtSettings) {
    if (settings.jwksUrl) this.key = createRemoteJWKSet(new URL(settings.jwksUrl));
    else this.key = new TextEncoder().encode(settings.secret ?? "");
  }

  async verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.key as never, {
      ...(this.settings.issuer ? { issuer: this.settings.issuer } : {}),
      ...(this.settings.audience ? { audience: this.settings.audience } : {}),
      ...(this.settings.secret ? { algorithms: ["HS256", "HS384", "HS512"] } : {}),
      clockTolerance: 30,
      requiredClaims: ["exp"], // a token that never expires is refused
    });
    return payload;
  }
}
