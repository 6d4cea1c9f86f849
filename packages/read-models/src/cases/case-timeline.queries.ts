import type { Kysely } from 'kysely'
import type { NoteVisibility } from '@pc/contracts'
import type { Database } from '../database.js'

export interface TimelineEntry {
  revision: bigint
  position: bigint
  eventId: string
  type: string
  /** ISO time the event happened. */
  at: string
  actor: { id: string; roles: string[] }
  visibility: NoteVisibility
  summary: string
  detail: string | null
}

export interface TimelineQuery {
  /** Only `public` entries: what a resident may read. */
  publicOnly?: boolean
}

/**
 * A case's timeline in stream order. Whether the reader may see the case at all is decided before (`findCase`);
 * this only leaves out the internal entries a resident must not read.
 *
 * @example
 * const entries = await caseTimeline(db, caseId, { publicOnly: actorIsResident })
 */
export async function caseTimeline(db: Kysely<Database>, caseId: string, query: TimelineQuery = {}): Promise<TimelineEntry[]> {
  let select = db.selectFrom('case_timeline').selectAll().where('case_id', '=', caseId).orderBy('revision')
  if (query.publicOnly) select = select.where('visibility', '=', 'public')
  const rows = await select.execute()
  return rows.map((row) => ({
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    eventId: row.event_id,
    type: row.type,
    at: row.at.toISOString(),
    actor: { id: row.actor_id, roles: row.actor_roles },
    visibility: row.visibility,
    summary: row.summary,
    detail: row.detail,
  }))
}
