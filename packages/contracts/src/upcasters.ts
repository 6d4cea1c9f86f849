import type { z } from 'zod'
import { CaseEventHistory } from './cases/events.js'
import type { EventHistory, EventTypeRegistry, UpcasterRegistry } from './event-registry.js'
import { CaseStreamEventTypes } from './mediation/case-stream.js'
import { MediationEventHistory, mediationUpcasters } from './mediation/events.js'

/**
 * Upcasting: stored events are never rewritten, so an event written in an old shape is brought to the latest shape
 * when it is read. One step per version (`n → n + 1`), chained; the latest schema then validates the result.
 *
 * @example
 * upcast('CaseEscalated', 1, { reason: 'no answer for two days', level: 1, at: '2026-01-05T02:00:00.000Z' })
 * // → { reason: …, level: 1, at: …, source: 'manual', clock: null }   (CaseEscalated v2)
 */

/** A stored event's type is not one this code knows. */
export class UnknownEventTypeError extends Error {
  override readonly name = 'UnknownEventTypeError'
  constructor(readonly eventType: string) {
    super(`unknown event type ${eventType}`)
  }
}

/** A stored event's `schemaVersion` is newer than this code, or no upcaster leads from it to the latest. */
export class UnsupportedSchemaVersionError extends Error {
  override readonly name = 'UnsupportedSchemaVersionError'
  constructor(
    readonly eventType: string,
    readonly schemaVersion: number,
  ) {
    super(`no way to read ${eventType} schema version ${schemaVersion}`)
  }
}

/**
 * Case upcasters.
 * - `CaseReported` 1 → 2: version 1 held the reporter's contact in clear. It cannot be sealed on the way out (an
 *   upcaster has no keys) and, being in clear in an immutable log, it could never be forgotten: it reads as no
 *   contact. (Nothing showed it before either: the read models dropped it.)
 * - `CaseEscalated` 1 → 2: version 1 had only `reason` and `level`, from the time every escalation was made by a
 *   person; version 2 adds `source` (`manual` | `sla`) and the breached `clock` when the SLA worker escalates on
 *   its own. A version-1 escalation was therefore manual and about no clock.
 */
export const caseUpcasters = {
  CaseReported: {
    1: (data) => ({ ...data, reporter: null }),
  },
  CaseEscalated: {
    1: (data) => ({ ...data, source: 'manual', clock: null }),
  },
} satisfies UpcasterRegistry

export interface EventReader {
  /** Brings `data` of `schemaVersion` up to the latest version (not validated; see `parse`). */
  upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown>
  /** Upcasts and validates against the latest schema; returns the latest version number with the parsed data. */
  parse(type: string, schemaVersion: number, data: unknown): { type: string; schemaVersion: number; data: unknown }
}

/**
 * Builds the reader for one context's (or several merged) registries. An old version is validated against its own
 * schema when `history` has it, so a corrupt old event fails with a message about the shape it was written in.
 */
export function createEventReader(
  types: EventTypeRegistry,
  upcasters: UpcasterRegistry,
  history: EventHistory = {},
): EventReader {
  const latestOf = (type: string): { schemaVersion: number; schema: z.ZodType } => {
    if (!Object.hasOwn(types, type)) throw new UnknownEventTypeError(type)
    return types[type]!
  }
  const upcast: EventReader['upcast'] = (type, schemaVersion, data) => {
    const latest = latestOf(type)
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > latest.schemaVersion) {
      throw new UnsupportedSchemaVersionError(type, schemaVersion)
    }
    let current = data
    for (let version = schemaVersion; version < latest.schemaVersion; version++) {
      const step = upcasters[type]?.[version]
      if (step === undefined) throw new UnsupportedSchemaVersionError(type, schemaVersion)
      current = step(current)
    }
    return current
  }
  return {
    upcast,
    parse(type, schemaVersion, data) {
      const latest = latestOf(type)
      const old = history[type]?.[schemaVersion]
      const checked = (old === undefined ? data : old.parse(data)) as Record<string, unknown>
      const upcasted = upcast(type, schemaVersion, checked)
      return { type, schemaVersion: latest.schemaVersion, data: latest.schema.parse(upcasted) }
    },
  }
}

/**
 * The reader for case streams: case events and the mediation events a dispute's stream also holds (issue 5).
 */
export const caseEventReader = createEventReader(
  CaseStreamEventTypes,
  { ...caseUpcasters, ...mediationUpcasters },
  { ...CaseEventHistory, ...MediationEventHistory },
)

/**
 * `upcast(type, schemaVersion, data)` → the latest version's data, for every event type this package knows.
 * (Disclosure events join this registry when their context registers its types.)
 */
export const upcast: EventReader['upcast'] = (type, schemaVersion, data) =>
  caseEventReader.upcast(type, schemaVersion, data)
