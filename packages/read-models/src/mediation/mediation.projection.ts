import { isMediationEvent, MediationEventTypes } from '@pc/contracts'
import { caseEventCodec } from '@pc/domain'
import type { Insertable, Transaction } from 'kysely'
import type { Database } from '../database.js'
import type { Projection } from '../projection.js'
import { caseIdOf } from '../cases/case-events.js'
import { chunks, replaceAll } from '../cases/upsert.js'
import { evolveMediationView } from './mediation-view.js'
import type { CaseMediationTable, CaseMediationTermsTable, StoredMediationView } from './mediation.tables.js'

export const MEDIATION_PROJECTION = 'mediation'

/**
 * Mediations of dispute cases (`GET /v1/cases/:id/mediation`, the SLA worker's mediation watchers, the mediation
 * figures): one row per mediation holding its view, and one row per term of a reached agreement.
 *
 * Per batch: read the touched cases' current mediations, fold the batch's mediation events, write each touched
 * mediation once and replace its terms. Only mediation events are delivered (a filter on their types); a new
 * `MediationOpened` starts a new row, so a dispute's earlier mediations stay readable.
 */
export const mediationProjection: Projection = {
  name: MEDIATION_PROJECTION,
  version: 1,
  tables: ['case_mediation', 'case_mediation_terms'],
  filter: { eventTypePrefix: Object.keys(MediationEventTypes) },
  async handle(trx, events) {
    const mine = events.filter((event) => event.streamId.startsWith('case-'))
    if (mine.length === 0) return
    const current = await loadCurrent(trx, [...new Set(mine.map((event) => caseIdOf(event.streamId)))])
    const touched = new Map<string, Insertable<CaseMediationTable>>()
    for (const event of mine) {
      const decoded = caseEventCodec.fromStored(event)
      if (!isMediationEvent(decoded)) continue
      const caseId = caseIdOf(event.streamId)
      const view = evolveMediationView(decoded.type === 'MediationOpened' ? null : (current.get(caseId) ?? null), decoded, caseId)
      current.set(caseId, view)
      touched.set(view.mediationId, mediationRow(view, event.revision, event.position))
    }
    const rows = [...touched.values()]
    for (const chunk of chunks(rows, 500)) {
      await trx
        .insertInto('case_mediation')
        .values(chunk)
        .onConflict((oc) => oc.column('mediation_id').doUpdateSet(replaceAll(chunk[0]!, 'mediation_id')))
        .execute()
    }
    await trx.deleteFrom('case_mediation_terms').where('mediation_id', 'in', [...touched.keys()]).execute()
    const terms = [...current.values()].filter((view) => touched.has(view.mediationId)).flatMap(termRows)
    for (const chunk of chunks(terms, 2000)) await trx.insertInto('case_mediation_terms').values(chunk).execute()
  },
}

/** Each case's latest mediation. */
async function loadCurrent(trx: Transaction<Database>, caseIds: string[]): Promise<Map<string, StoredMediationView>> {
  const rows = await trx
    .selectFrom('case_mediation')
    .select(['case_id', 'view'])
    .distinctOn('case_id')
    .where('case_id', 'in', caseIds)
    .orderBy('case_id')
    .orderBy('opened_at', 'desc')
    .execute()
  return new Map(rows.map((row) => [row.case_id, row.view]))
}

function mediationRow(view: StoredMediationView, revision: bigint, position: bigint): Insertable<CaseMediationTable> {
  return {
    mediation_id: view.mediationId,
    case_id: view.caseId,
    status: view.status,
    mediator_id: view.mediatorId,
    outcome: view.outcome?.outcome ?? null,
    referred_to: view.outcome?.referredTo ?? null,
    opened_at: view.openedAt,
    deadline_at: view.deadlineAt,
    deadline_passed: view.deadlinePassed,
    concluded_at: view.outcome?.at ?? null,
    days_to_conclusion: view.outcome?.days ?? null,
    revision,
    position,
    view: JSON.stringify(view),
  }
}

/** The terms of the agreement every party accepted. */
function termRows(view: StoredMediationView): Insertable<CaseMediationTermsTable>[] {
  const reached = view.agreements.find((agreement) => agreement.status === 'reached')
  if (!reached) return []
  return reached.terms.map((term) => ({
    agreement_id: reached.agreementId,
    term_index: term.termIndex,
    mediation_id: view.mediationId,
    case_id: view.caseId,
    party_id: term.partyId,
    due_at: term.dueAt,
    fulfilled: term.fulfilled,
    overdue_recorded: term.overdue,
  }))
}
