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

/**
 * Verifies a token and returns its actor, or throws `UnauthenticatedError` with a reason safe to show the
 * client (expired, bad signature, malformed claims). Only HS256 is accepted: `alg: none` or an asymmetric
 * algorithm chosen by the caller never verifies.
 */
export async function verifyToken(secret: string, token: string): Promise<AuthenticatedActor> {
  let payload: unknown
  try {
    ;({ payload } = await jwtVerify(token, encoder.encode(secret), {
      algorithms: [ALGORITHM],
      requiredClaims: ['exp', 'sub'],
      clockTolerance: 5,
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
  return Object.freeze({ id: sub, roles, units: units ?? [], ...(name === undefined ? {} : { name }) })
}

function reason(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired'
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify'
  if (error instanceof errors.JWTClaimValidationFailed) return `token claim "${error.claim}" is invalid`
  return 'token is malformed'
}
