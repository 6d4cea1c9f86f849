import { createHash } from 'node:crypto'
import { Sealed } from '@pc/contracts'

/**
 * A well-formed envelope for tests that never open it (deciders, projections): what an event holds where the edge
 * sealed a personal field. Deterministic per subject and label; its bytes are not ciphertext of anything.
 *
 * @example
 * const reporter = sealedForTest('resident-1')
 */
export function sealedForTest(subject: string, label = 'contact'): Sealed {
  const digest = createHash('sha256').update(`${subject}\u0000${label}`).digest()
  return Sealed.parse({
    subject,
    keyId: digest.subarray(0, 16).toString('hex'),
    iv: digest.subarray(0, 12).toString('base64url'),
    ciphertext: digest.toString('base64url'),
    tag: digest.subarray(16, 32).toString('base64url'),
  })
}
