import { webcrypto } from 'node:crypto'
// jose's modules one by one rather than its index, which loads every JWE and JWKS module too (`cli token` starts faster).
import * as errors from 'jose/errors'
import { SignJWT } from 'jose/jwt/sign'
import { jwtVerify } from 'jose/jwt/verify'
import { z } from 'zod'
import { UnauthenticatedError } from './errors.js'
import { Role } from './roles.js'

/** Who is calling, as proven by a verified token. Compatible with the domain's `CommandActor`. */
export interface AuthenticatedActor {
  readonly id: string
  readonly roles: readonly Role[]
  /** Unit ids a resident lives in; empty when the token carries none. */
  readonly units: readonly string[]
  /** Display name: personal data, never logged (see `logger.ts`). */
  readonly name?: string
}

export interface TokenClaims {
  sub: string
  roles: readonly Role[]
  units?: readonly string[]
  name?: string
  /** A jose time span such as `'15m'`, `'12h'`, `'7d'`. Default `'12h'`. */
  expiresIn?: string
}

const ALGORITHM = 'HS256'

const Claims = z.object({
  sub: z.string().min(1).max(200),
  roles: z.array(Role).min(1),
  units: z.array(z.string().min(1)).optional(),
  name: z.string().optional(),
})

const encoder = new TextEncoder()

/**
 * Signs an HS256 token with the claims of DESIGN §5. Tokens always expire.
 *
 * @example
 * const token = await signToken(secret, { sub: 'staff-7', roles: ['staff'], expiresIn: '1h' })
 * // curl -H "Authorization: Bearer $token" …
 */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const payload: Record<string, unknown> = { roles: [...claims.roles] }
  if (claims.units) payload.units = [...claims.units]
  if (claims.name !== undefined) payload.name = claims.name
  return new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '12h')
    .sign(encoder.encode(secret))
}

const CLOCK_TOLERANCE_SECONDS = 5

/** Verified tokens kept per verifier; longer tokens are verified every time rather than kept. */
const VERIFIED_TOKENS = 1_000
const MAX_KEPT_TOKEN_LENGTH = 4_096

interface VerifiedToken {
  actor: AuthenticatedActor
  exp: number
  nbf: number | undefined
}

/**
 * Verifies tokens against one or more HS256 secrets (the current one first; a previous one during a rotation).
 *
 * It keeps what it verified, by the token's exact text: a client sends the same token with every request, and
 * checking its HMAC through WebCrypto (a key import and an async job) was the largest cost of a command after the
 * database. The signature and the claims' shape depend on the bytes and the secrets only, so the same bytes verify
 * the same way again; the time claims (`exp`, `nbf`) are checked on every request, and a token past them goes
 * through the full check, which gives the usual error. Bounded, oldest dropped first. One per auth plugin, so its
 * cache dies with the server.
 *
 * @example
 * const verifier = new TokenVerifier([secret])
 * const actor = await verifier.verify(token)
 */
export class TokenVerifier {
  readonly #secrets: readonly string[]
  readonly #keys: ReadonlyArray<Promise<webcrypto.CryptoKey>>
  readonly #verified = new Map<string, VerifiedToken>()

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new TypeError('TokenVerifier needs at least one secret')
    this.#secrets = [...secrets]
    // One imported HMAC key per secret, not one WebCrypto import per request (what jose does with raw bytes).
    this.#keys = this.#secrets.map((secret) =>
      webcrypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']),
    )
  }

  /**
   * The token's actor, or `UnauthenticatedError` with a reason safe to show the client (expired, bad signature,
   * malformed claims). Only HS256 is accepted: `alg: none` or an asymmetric algorithm chosen by the caller never
   * verifies.
   */
  async verify(token: string): Promise<AuthenticatedActor> {
    const known = this.#current(token)
    if (known !== undefined) {
      this.#verified.delete(token)
      this.#verified.set(token, known)
      return known.actor
    }
    const payload = await this.#payloadOf(token)
    const claims = Claims.safeParse(payload)
    if (!claims.success) {
      const fields = claims.error.issues.map((issue) => issue.path.join('.') || 'claims').join(', ')
      throw new UnauthenticatedError(`token claims are invalid: ${fields}`)
    }
    const { sub, roles, units, name } = claims.data
    // Frozen through, since a kept actor is handed to later requests too.
    const actor: AuthenticatedActor = Object.freeze({
      id: sub,
      roles: Object.freeze(roles),
      units: Object.freeze(units ?? []),
      ...(name === undefined ? {} : { name }),
    })
    // jose checked that `exp` (required) and `nbf` (if any) are numbers.
    if (token.length <= MAX_KEPT_TOKEN_LENGTH && typeof payload.exp === 'number') {
      this.#verified.set(token, { actor, exp: payload.exp, nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined })
      if (this.#verified.size > VERIFIED_TOKENS) this.#verified.delete(this.#verified.keys().next().value!)
    }
    return actor
  }

  /**
   * Whether `token` is one this verifier already verified and whose time claims still hold, without checking a
   * signature: the auth plugin lets such a caller through while its address is held back for failed attempts.
   */
  knows(token: string): boolean {
    return this.#current(token) !== undefined
  }

  /** The kept verification of `token` while its `exp` and `nbf` hold; a stale one is dropped. */
  #current(token: string): VerifiedToken | undefined {
    const known = this.#verified.get(token)
    if (known === undefined) return undefined
    const now = Math.floor(Date.now() / 1000)
    if (known.exp > now - CLOCK_TOLERANCE_SECONDS && (known.nbf === undefined || known.nbf <= now + CLOCK_TOLERANCE_SECONDS)) return known
    this.#verified.delete(token)
    return undefined
  }

  /** Forgets every verified token (the server closing). */
  clear(): void {
    this.#verified.clear()
  }

  /** The verified payload under the first secret whose signature matches; other failures are final. */
  async #payloadOf(token: string): Promise<Record<string, unknown>> {
    let failure: unknown
    for (const key of this.#keys) {
      try {
        const { payload } = await jwtVerify(token, await key, {
          algorithms: [ALGORITHM],
          requiredClaims: ['exp', 'sub'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        })
        return payload
      } catch (error) {
        failure = error
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) break
      }
    }
    throw new UnauthenticatedError(reason(failure), { cause: failure })
  }
}

/**
 * Verifies one token with one secret, keeping nothing (the CLI, tests). A server uses its auth plugin's
 * `TokenVerifier`.
 */
export function verifyToken(secret: string, token: string): Promise<AuthenticatedActor> {
  return new TokenVerifier([secret]).verify(token)
}

function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify'
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is invalid`
  return 'token is malformed'
}
