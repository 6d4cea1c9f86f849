/**
 * `@pc/platform/tokens`: signing and verifying bearer tokens and the JWT secret `start` uses, without the HTTP edge
 * or the runtime (`cli token` loads this, not `@pc/platform`, to start quickly).
 *
 * @example
 * import { ensureJwtSecret, signToken } from '@pc/platform/tokens'
 */
export { ensureJwtSecret, jwtSecretFile } from '../jwt-secret.js'
export { ROLES, Role } from '../roles.js'
export { signToken, verifyToken, type AuthenticatedActor, type TokenClaims } from '../tokens.js'
