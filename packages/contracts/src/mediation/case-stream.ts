import { CaseEventTypes } from '../cases/events.js'
import type { CaseEvent } from '../cases/events.js'
import type { EventTypeRegistry } from '../event-registry.js'
import { MediationEventTypes } from './events.js'
import type { MediationEvent } from './events.js'

/**
 * Everything a case stream (`case-<uuid>`) holds: the case's own events and, for a dispute, its mediation's
 * (DESIGN §4: one stream is a dispute's whole history). The case stream's codec reads and writes these.
 *
 * @example
 * CaseStreamEventTypes['AgreementReached'].schema.parse(data)
 */
export const CaseStreamEventTypes = { ...CaseEventTypes, ...MediationEventTypes } as const satisfies EventTypeRegistry

export type CaseStreamEventType = keyof typeof CaseStreamEventTypes

/** An event of a case stream: a case event or a mediation event. */
export type CaseStreamEvent = CaseEvent | MediationEvent

export function isCaseStreamEventType(type: string): type is CaseStreamEventType {
  return Object.hasOwn(CaseStreamEventTypes, type)
}
