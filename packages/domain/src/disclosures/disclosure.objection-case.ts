import { TextLimit } from '@pc/contracts'
import type { DisclosureEventData, ReportCaseData } from '@pc/contracts'
import type { CommandActor } from '../decider.js'
import { nameBasedUuid } from '../ids.js'

/**
 * Objection → case (异议转投诉): a resident's objection to a disclosure opens a complaint case, category
 * `disclosure`, reported on the objector's behalf. Pure translation; the projector's reactor issues the command.
 *
 * The case id is derived from the objection id, so issuing the report twice (a reactor retried after a crash, or
 * run again from the start) addresses the same case stream, and the second report finds it there.
 *
 * @example
 * const { caseId, data } = objectionCaseReport(objected.data)
 * await handleCommand(store, caseDecider, `case-${caseId}`, { type: 'report', caseId, data, actor: OBJECTION_CASE_ACTOR }, …)
 */

/** The actor of the reports the reactor issues: a process reporting for a resident, as hotline staff would. */
export const OBJECTION_CASE_ACTOR: CommandActor = Object.freeze({
  id: 'system:disclosures',
  roles: Object.freeze(['system', 'staff']),
})

/** The category of every case opened from an objection. */
export const OBJECTION_CASE_CATEGORY = 'disclosure'

/** Where an estate-wide matter is placed when the objector's token names no unit. */
export const ESTATE_WIDE_BUILDING = 'estate'

/**
 * The id of the case an objection opens: a name-based uuid (RFC 9562 version 8, SHA-256), so the same objection
 * always gives the same case id, and no other objection does.
 *
 * @example
 * objectionCaseId('0b6e…') === objectionCaseId('0b6e…') // true
 */
export function objectionCaseId(objectionId: string): string {
  return nameBasedUuid(`disclosure-objection-case:${objectionId}`)
}

/** The ids of the events of that case's report: fixed too, so the store refuses a second copy of the same event. */
export function objectionCaseEventId(objectionId: string, index: number): string {
  return nameBasedUuid(`disclosure-objection-case:${objectionId}:event:${index}`)
}

/**
 * The complaint case an objection opens: linked to the disclosure by its category, its title and a description
 * that names the disclosure and version; reported for the objector, placed at their first unit when the token
 * named one. Every field fits the case schema whatever the disclosure's title, so the report is never refused as
 * malformed.
 */
export function objectionCaseReport(objection: DisclosureEventData<'DisclosureObjected'>): {
  caseId: string
  data: ReportCaseData
} {
  const unit = objection.objectorUnits.map((u) => u.trim()).find((u) => u.length > 0 && u.length <= TextLimit.name)
  return {
    caseId: objectionCaseId(objection.objectionId),
    data: {
      kind: 'complaint',
      category: OBJECTION_CASE_CATEGORY,
      title: clip(`Objection to disclosure: ${objection.disclosureTitle}`, TextLimit.title),
      description:
        `${objection.reason}\n\n` +
        `Disclosure ${objection.disclosureId} (${objection.disclosureKind}), version ${objection.version}; ` +
        `objection ${objection.objectionId}.`,
      channel: 'app',
      priority: 'normal',
      location: unit === undefined ? { building: ESTATE_WIDE_BUILDING } : { building: ESTATE_WIDE_BUILDING, unit },
      reporterId: objection.objectorId,
    },
  }
}

/** At most `max` UTF-16 code units (what the schema counts), never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text
  const cut = /[\uD800-\uDBFF]$/.test(text.slice(0, max - 1)) ? max - 2 : max - 1
  return `${text.slice(0, cut)}…`
}
