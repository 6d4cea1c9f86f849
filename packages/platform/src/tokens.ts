import { webcrypto } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
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

/**
 * Tokens that verified, by their exact text. A client sends the same token with every request, and checking its
 * HMAC through WebCrypto (a key import and an async job) was the largest cost of a command after the database.
 * The signature and the claims' shape depend on the bytes and the secret only, so the same bytes under the same
 * secret verify the same way again; the time claims (`exp`, `nbf`) are checked on every request, and a token
 * past them goes through the full check, which gives the usual error. Bounded, oldest dropped first.
 */
interface VerifiedToken {
  secret: string
  actor: AuthenticatedActor
  exp: number
  nbf: number | undefined
}
const verified = new Map<string, VerifiedToken>()
const VERIFIED_TOKENS = 1_000
/** Longer tokens are verified every time rather than kept. */
const MAX_KEPT_TOKEN_LENGTH = 4_096

// One imported HMAC key per secret, not one WebCrypto import per request (what jose does with raw bytes).
let lastKey: { secret: string; key: Promise<webcrypto.CryptoKey> } | undefined
function keyOf(secret: string): Promise<webcrypto.CryptoKey> {
  if (lastKey?.secret !== secret) {
    const key = webcrypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
    lastKey = { secret, key }
  }
  return lastKey.key
}

/**
 * Verifies a token and returns its actor, or throws `UnauthenticatedError` with a reason safe to show the
 * client (expired, bad signature, malformed claims). Only HS256 is accepted: `alg: none` or an asymmetric
 * algorithm chosen by the caller never verifies.
 */
export async function verifyToken(secret: string, token: string): Promise<AuthenticatedActor> {
  const known = verified.get(token)
  if (known !== undefined && known.secret === secret) {
    // The same checks as jose's, against the current time.
    const now = Math.floor(Date.now() / 1000)
    if (known.exp > now - CLOCK_TOLERANCE_SECONDS && (known.nbf === undefined || known.nbf <= now + CLOCK_TOLERANCE_SECONDS)) {
      verified.delete(token)
      verified.set(token, known)
      return known.actor
    }
    verified.delete(token)
  }
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(token, await keyOf(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }))
  } catch (error) {
    throw new UnauthenticatedError(reason(error), { cause: error })
  }
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
    verified.set(token, { secret, actor, exp: payload.exp, nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined })
    if (verified.size > VERIFIED_TOKENS) verified.delete(verified.keys().next().value!)
  }
  return actor
}

function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify'
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is invalid`
  return 'token is malformed'
}
