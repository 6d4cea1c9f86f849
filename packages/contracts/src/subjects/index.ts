import { z } from 'zod'
import { IsoDateTime, TextLimit, text } from '../common.js'
import type { EventHistory, EventTypeRegistry, UpcasterRegistry } from '../event-registry.js'
import { SubjectId } from '../personal.js'
import { createEventReader } from '../upcasters.js'

/**
 * Data subjects (DESIGN §7): the person a sealed personal value belongs to. `subject-<subjectId>` records each
 * forget; the keys themselves live in the personal-data key store, never in the event store.
 */

export const SubjectParams = z.object({ subjectId: SubjectId })
export type SubjectParams = z.infer<typeof SubjectParams>

/** `POST /v1/admin/subjects/:subjectId/forget`: why (an erasure request's reference, say). */
export const ForgetSubjectBody = z.strictObject({ reason: text(TextLimit.reason) })
export type ForgetSubjectBody = z.infer<typeof ForgetSubjectBody>

/**
 * The subject's keys were destroyed: every value sealed for them before `at` reads as `{ erased: true }`. Holds no
 * personal data — the subject id is a user id or a system-assigned contact id.
 */
export const SubjectForgottenData = z.strictObject({
  subjectId: SubjectId,
  reason: text(TextLimit.reason),
  /** Live key generations destroyed by this forget (0 when a crashed forget had destroyed them already). */
  keysDestroyed: z.number().int().min(0),
  at: IsoDateTime,
})

export const SubjectEventTypes = {
  SubjectForgotten: { schemaVersion: 1, schema: SubjectForgottenData },
} as const satisfies EventTypeRegistry

export const SubjectEventHistory = {} as const satisfies EventHistory
export const subjectUpcasters = {} satisfies UpcasterRegistry
export const subjectEventReader = createEventReader(SubjectEventTypes, subjectUpcasters, SubjectEventHistory)

export type SubjectEvent = { type: 'SubjectForgotten'; data: z.infer<typeof SubjectForgottenData> }
