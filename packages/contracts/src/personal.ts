import { z } from 'zod'
import { UserId } from './common.js'

/**
 * Personal data (DESIGN §7): names, phone numbers, contact details and care needs are never written in clear to an
 * event or a read-model table. Each is an AES-256-GCM envelope under a data key of its own data subject; the keys
 * live in PostgreSQL, wrapped by the master key (`@pc/personal-data`). Forgetting a subject destroys its keys:
 * the envelopes stay byte for byte (so every hash still verifies) and every read path shows `{ erased: true }`.
 *
 * The envelope is a type of its own (branded), so a plain string cannot carry a phone number into an event by
 * accident: only the vault's `seal` makes one.
 */

/**
 * Whose data it is: a user id (`sub`) for people with an account, or an id the system assigns (`contact-<uuid>`)
 * for a contact staff recorded.
 */
export const SubjectId = UserId
export type SubjectId = z.infer<typeof SubjectId>

const Base64Url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url')

/** One sealed value, as stored in an event (and, unchanged, in a read model). */
export const Sealed = z
  .strictObject({
    subject: SubjectId,
    /** The data key it was sealed under (a subject has a new key after each forget). */
    keyId: z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits'),
    iv: Base64Url.length(16),
    ciphertext: Base64Url.min(1).max(8_192),
    tag: Base64Url.length(22),
  })
  .brand<'Sealed'>()
  .meta({ id: 'Sealed', description: "An AES-256-GCM envelope under its data subject's key (DESIGN §7)" })
export type Sealed = z.infer<typeof Sealed>

/** What a read path shows for a value whose subject was forgotten. */
export const Erased = z.strictObject({ erased: z.literal(true) })
export type Erased = z.infer<typeof Erased>
export const ERASED: Erased = Object.freeze({ erased: true as const })

/**
 * A personal value as a read path shows it: in clear to those who may see it, erased once the subject is
 * forgotten, sealed to everyone else (auditors see that there is a value and whose, never the value).
 *
 * @example
 * const ReporterView = personalView(ReporterContact) // { subjectId, name?, phone? } | { subjectId, erased } | …
 */
export function personalView<Shape extends z.ZodRawShape>(clear: z.ZodObject<Shape>) {
  return z.union([
    clear.extend({ subjectId: SubjectId }),
    z.strictObject({ subjectId: SubjectId, erased: z.literal(true) }),
    z.strictObject({ subjectId: SubjectId, sealed: z.literal(true) }),
  ])
}
