import {
  caseEventCodec,
  caseStreamId,
  DEFAULT_SLA_POLICY,
  mediationDecider,
  SLA_ACTOR,
  type MediationCommand,
  type MediationWatchCommand,
} from '@pc/domain'
import { casesWithOverdueTerms, mediationsPastDeadline } from '@pc/read-models'
import { deciderWatcher, type FoundDeadline } from '../kit/deadline-watcher.js'

/** Candidates per round; the rest come next round, once these show as recorded. */
const PAGE = 500

const watch = (type: MediationWatchCommand['type']): MediationCommand => ({ type, data: {}, actor: SLA_ACTOR })

const mediationWatcher = (name: string, type: MediationWatchCommand['type'], find: typeof mediationsPastDeadline) =>
  deciderWatcher({
    name,
    decider: mediationDecider,
    codec: caseEventCodec,
    // The mediation decider reads only the time; the policy is the case stream context's.
    context: (now: string) => ({ now, slaPolicy: DEFAULT_SLA_POLICY }),
    async *find(db, now): AsyncIterable<FoundDeadline<MediationCommand>> {
      for (const caseId of await find(db, new Date(now), PAGE)) {
        yield { streamId: caseStreamId(caseId), label: `${caseStreamId(caseId)}: ${name}`, command: watch(type) }
      }
    },
  })

/**
 * A mediation open past its deadline (30 days from opening, or as extended): the mediation decider records
 * `MediationDeadlinePassed` once per deadline. Candidates come from the `case_mediation` read model; the decider
 * checks again on the folded stream, so a lagging read model records nothing twice.
 */
export const mediationDeadlineWatcher = mediationWatcher(
  'mediation-deadline',
  'record_mediation_deadline_passed',
  mediationsPastDeadline,
)

/**
 * Terms of a reached agreement past their due date and not found fulfilled: `FulfilmentOverdue` once per term.
 */
export const fulfilmentOverdueWatcher = mediationWatcher('fulfilment-overdue', 'record_fulfilment_overdue', casesWithOverdueTerms)
