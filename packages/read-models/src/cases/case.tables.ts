import type { ColumnType } from 'kysely'
import type {
  CaseChannel,
  CaseKind,
  CasePriority,
  CaseStatus,
  NoteVisibility,
} from '@pc/contracts'
import type { ActiveCaseState } from '@pc/domain'

/**
 * The case read models as kysely sees them (created by migrations 0002–0005).
 * - int8 columns come back from pg as decimal strings: convert with `BigInt`, never `Number`.
 * - timestamptz columns come back as `Date`; write them as ISO strings.
 * - `state` is the case's state folded with the domain's own `evolve`; the reporter's contact is only its
 *   envelope (personal data is never in a read model in clear, DESIGN §7).
 */

type Int8 = ColumnType<string, bigint | string, bigint | string>
type Timestamp = ColumnType<Date, string, string>
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>
type Json<T> = ColumnType<T, string, string>

/** A case in the staff queue (and the detail view): one row per case. */
export interface CaseListTable {
  case_id: string
  /** The stream revision of the last event applied (the `If-Match` a client would send). */
  revision: Int8
  position: Int8
  status: CaseStatus
  kind: CaseKind
  category: string
  channel: CaseChannel
  priority: CasePriority
  title: string
  building: string
  unit: string | null
  area: string | null
  /** The resident the case belongs to (null for a patrol finding reported on nobody's behalf). */
  reporter_id: string | null
  reported_by: string
  assignee_id: string | null
  team: string | null
  escalation_level: number
  reopen_count: number
  note_count: number
  /** Whether `close` needs a review (复盘) first. */
  review_required: boolean
  reviewed: boolean
  /** The rating of the current resolution's follow-up visit (回访). */
  rating: number | null
  response_due_at: Timestamp
  responded_at: NullableTimestamp
  response_running: boolean
  update_due_at: NullableTimestamp
  resolution_due_at: Timestamp
  resolution_running: boolean
  resolved_at: NullableTimestamp
  /** Breaches the SLA worker recorded (`ResponseOverdue` …), cleared as the domain clears them. */
  response_overdue: boolean
  update_overdue: boolean
  resolution_overdue: boolean
  linked_case_ids: ColumnType<string[], string[], string[]>
  /** Set while the case is merged into another; the cases merged into X are `where merged_into_case_id = X`. */
  merged_into_case_id: string | null
  reported_at: Timestamp
  closed_at: NullableTimestamp
  /** `at` of the last event applied. */
  updated_at: Timestamp
  state: Json<ActiveCaseState>
}

/** One entry of a case's timeline per event. */
export interface CaseTimelineTable {
  case_id: string
  revision: Int8
  event_id: string
  position: Int8
  type: string
  at: Timestamp
  actor_id: string
  actor_roles: ColumnType<string[], string[], string[]>
  /** `internal` entries are for staff only; a resident sees `public` ones. */
  visibility: NoteVisibility
  /** A short human sentence ("Assigned to tech-7 (plumbing)"). */
  summary: string
  /** The free text that goes with it (a note's body, a resolution), when there is one. */
  detail: string | null
}

/** SLA clocks per case; `open` rows are the SLA queue. Time left is computed at query time (`case-sla.queries.ts`). */
export interface CaseSlaTable {
  case_id: string
  status: CaseStatus
  open: boolean
  kind: CaseKind
  category: string
  priority: CasePriority
  building: string
  assignee_id: string | null
  escalation_level: number
  policy_id: string
  response_due_at: Timestamp
  response_running: boolean
  response_met: boolean | null
  response_overdue_recorded: boolean
  update_due_at: NullableTimestamp
  update_overdue_recorded: boolean
  resolution_due_at: Timestamp
  resolution_running: boolean
  resolution_met: boolean | null
  resolution_overdue_recorded: boolean
  /** The earliest deadline among the clocks running now; null when none runs. */
  next_due_at: NullableTimestamp
  state: Json<ActiveCaseState>
}

/** Per-case facts the figures aggregate (see `case-figures.facts.ts` for what each means). */
export interface CaseFiguresCasesTable {
  case_id: string
  month: string
  category: string
  building: string
  kind: CaseKind
  status: CaseStatus
  reported_at: Timestamp
  clock_started_at: NullableTimestamp
  clock_ms: number
  first_response_minutes: number | null
  resolution_minutes: number | null
  response_met: boolean | null
  resolution_met: boolean | null
  resolved_count: number
  reopen_count: number
  rating_sum: number
  rating_count: number
  state: Json<ActiveCaseState>
}

export interface CasesDatabase {
  case_list: CaseListTable
  case_timeline: CaseTimelineTable
  case_sla: CaseSlaTable
  case_figures_cases: CaseFiguresCasesTable
}

