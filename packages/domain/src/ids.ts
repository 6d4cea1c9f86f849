import { createHash } from 'node:crypto'

/**
 * A name-based UUID (RFC 9562 version 8, built from SHA-256 of `name`): the same name always gives the same id.
 * Every id that must survive a retry is made this way — event ids derived from an Idempotency-Key, the case an
 * objection opens, the event of a signed tree head — so a repeated write addresses the same stream and the same
 * event ids, and the store keeps one copy.
 *
 * Pure: hashing is no I/O, so deciders and their helpers may use it.
 *
 * @example
 * nameBasedUuid('disclosure-objection-case:0b6e…') === nameBasedUuid('disclosure-objection-case:0b6e…') // true
 */
export function nameBasedUuid(name: string): string {
  const bytes = createHash('sha256').update(name, 'utf8').digest()
  bytes[6] = (bytes[6]! & 0x0f) | 0x80
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
