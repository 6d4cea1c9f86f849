import { sql, type Kysely } from 'kysely'
import type { SlaClockName } from '@pc/contracts'
import {
  breachToRecord,
  caseDecider,
  caseEventCodec,
  caseStreamId,
  DEFAULT_SLA_POLICY,
  isOpen,
  SLA_ACTOR,
  type CaseCommand,
} from '@pc/domain'
import type { Database } from '@pc/read-models'
import { deciderWatcher, type FoundDeadline } from '../kit/deadline-watcher.js'

const CLOCKS: readonly SlaClockName[] = ['response', 'update', 'resolution']
const PAGE = 500

/**
 * SLA breaches (DESIGN §4): a case's response, update or resolution clock past its deadline and not yet recorded
 * becomes a `record_overdue` command as `system:sla`; the decider records `ResponseOverdue` / `UpdateOverdue` /
 * `ResolutionOverdue` once per breach and escalates the case.
 *
 * Candidates come from the `case_sla` read model by a cheap SQL test that can only over-select; each is then
 * checked with the domain's own `breachToRecord`, the test the decider applies again on the folded stream.
 */
export const slaBreachWatcher = deciderWatcher({
  name: 'sla-breach',
  decider: caseDecider,
  codec: caseEventCodec,
  // The policy is only read when a case is reported; a breach is measured against the terms the case carries.
  context: (now: string) => ({ now, slaPolicy: DEFAULT_SLA_POLICY }),
  find: findSlaBreaches,
})

/** Breaches past at `now`, case by case in id order, read page by page. */
export async function* findSlaBreaches(db: Kysely<Database>, now: string): AsyncIterable<FoundDeadline<CaseCommand>> {
  let after: string | null = null
  for (;;) {
    let query = db
      .selectFrom('case_sla')
      .select(['case_id', 'state'])
      .where('open', '=', true)
      .where(
        sql<boolean>`((not response_overdue_recorded and response_met is null and response_due_at < ${now})
          or (not update_overdue_recorded and update_due_at < ${now})
          or (not resolution_overdue_recorded and resolution_met is null and resolution_due_at < ${now}))`,
      )
      .orderBy('case_id')
      .limit(PAGE)
    if (after !== null) query = query.where('case_id', '>', after)
    const rows = await query.execute()
    for (const { case_id: caseId, state } of rows) {
      if (!isOpen(state)) continue
      for (const clock of CLOCKS) {
        if (breachToRecord(state, clock, now) === null) continue
        yield {
          streamId: caseStreamId(caseId),
          label: `${caseStreamId(caseId)}: ${clock}`,
          command: { type: 'record_overdue', data: { clock }, actor: SLA_ACTOR },
        }
      }
    }
    if (rows.length < PAGE) return
    after = rows.at(-1)!.case_id
  }
}
