import { FINANCIAL_DISCLOSURE_KINDS } from '@pc/contracts'
import type { DisclosureContent, DisclosureDraft, DisclosureEvent, DisclosureKind } from '@pc/contracts'
import { assertNever } from '../decider.js'
import type { Decider } from '../decider.js'
import { ForbiddenError, NotFoundError, RuleViolationError } from '../errors.js'
import { authorizeDisclosureCommand } from './disclosure.access.js'
import type { DisclosureCommand, DisclosureCommandOf, DisclosureContext } from './disclosure.commands.js'
import { buildContent, contentHash } from './disclosure.content.js'
import { currentVersion, initialDisclosureState } from './disclosure.state.js'
import type { DisclosureState, DisclosureVersion } from './disclosure.state.js'

/**
 * The disclosure (公示) decider: draft → revise → publish (version 1) → correct (version n + 1) → comments,
 * objections, committee reviews → retract. Nothing published is ever changed: a correction appends a version that
 * records the previous version's hash and the reason.
 *
 * Rule names (`RuleViolationError.rule`, HTTP 422):
 * - `INVALID_TRANSITION` — the command does not apply in the disclosure's status;
 * - `DISCLOSURE_EXISTS` — a draft with this id was already written;
 * - `PERIOD_REQUIRED`, `LINE_ITEMS_REQUIRED` — financial_statement and public_revenue need both;
 * - `PERIOD_ENDS_BEFORE_START`; `AMOUNT_INVALID` (not an integer in [0, 10^13] fen); `TOTAL_OUT_OF_RANGE`;
 * - `EFFECTIVE_AT_REQUIRED`, `ADVANCE_NOTICE_TOO_SHORT` — a major matter takes effect no sooner than
 *   `advanceNoticeDays` after it is drafted, revised, published, or corrected to a new `effectiveAt`;
 * - `COMMENT_PERIOD_AFTER_EFFECTIVE_AT`, `COMMENT_PERIOD_ALREADY_ENDED` — the comment period ends no later than
 *   `effectiveAt`, and not before it has begun;
 * - `COMMENT_PERIOD_CLOSED` — a comment or objection after `commentPeriodEndsAt`;
 * - `KIND_CHANGE_NOT_ALLOWED`, `CORRECTION_UNCHANGED` — a correction keeps the kind and changes something.
 *
 * @example
 * const events = disclosureDecider.decide(
 *   { type: 'publish', data: {}, actor: { id: 'm1', roles: ['manager'] } },
 *   state,
 *   { now: '2026-04-01T00:00:00Z', advanceNoticeDays: 7, newId: randomUUID },
 * )
 */
export const disclosureDecider: Decider<DisclosureCommand, DisclosureEvent, DisclosureState, DisclosureContext> = {
  initialState: initialDisclosureState,
  decide,
  evolve,
}

const DAY_MS = 86_400_000

function decide(command: DisclosureCommand, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  const access = authorizeDisclosureCommand(command.type, command.actor, state)
  if (access === 'not_found') throw new NotFoundError('disclosure not found')
  if (access === 'forbidden') throw new ForbiddenError(`your roles may not ${command.type} a disclosure`)

  switch (command.type) {
    case 'draft':
      return draft(command, state, context)
    case 'revise':
      return revise(command, state, context)
    case 'publish':
      return publish(state, context)
    case 'correct':
      return correct(command, state, context)
    case 'comment':
      return comment(command, state, context)
    case 'object':
      return object(command, state, context)
    case 'committee_review':
      return committeeReview(command, state, context)
    case 'retract':
      return retract(command, state, context)
    default:
      return assertNever(command)
  }
}

function draft(command: DisclosureCommandOf<'draft'>, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  if (state.status !== 'none') throw new RuleViolationError('DISCLOSURE_EXISTS', 'a disclosure with this id exists')
  checkDraft(command.data, context, '')
  return [{ type: 'DisclosureDrafted', data: { disclosureId: command.disclosureId, draft: command.data, at: context.now } }]
}

function revise(command: DisclosureCommandOf<'revise'>, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  requireStatus(state, 'draft', 'only a draft can be revised; correct a published disclosure instead')
  checkDraft(command.data, context, '')
  return [{ type: 'DisclosureRevised', data: { draft: command.data, at: context.now } }]
}

function publish(state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  const current = requireStatus(state, 'draft', 'only a draft can be published')
  // Time has passed since the draft was written: the notice and the comment period are checked again now.
  const content = checkDraft(current.draft, context, '')
  return [
    { type: 'DisclosurePublished', data: { version: 1, content, contentHash: contentHash(content), at: context.now } },
  ]
}

function correct(command: DisclosureCommandOf<'correct'>, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  const published = requireStatus(state, 'published', 'only a published disclosure can be corrected')
  const previous = currentVersion(published)
  if (command.data.content.kind !== published.kind) {
    throw new RuleViolationError(
      'KIND_CHANGE_NOT_ALLOWED',
      `a correction keeps the kind (${published.kind}); retract and draft a new disclosure instead`,
      'content.kind',
    )
  }
  const content = checkDraft(command.data.content, context, 'content.', previous.content)
  const hash = contentHash(content)
  if (hash === previous.contentHash) {
    throw new RuleViolationError('CORRECTION_UNCHANGED', 'the correction is identical to the current version', 'content')
  }
  return [
    {
      type: 'DisclosureCorrected',
      data: {
        version: previous.version + 1,
        content,
        contentHash: hash,
        previousHash: previous.contentHash,
        reason: command.data.reason,
        at: context.now,
      },
    },
  ]
}

function comment(command: DisclosureCommandOf<'comment'>, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  const published = requireStatus(state, 'published', 'comments are taken only while the disclosure is published')
  const version = requireCommentPeriodOpen(published, context)
  return [
    {
      type: 'DisclosureCommented',
      data: {
        commentId: `comment-${published.commentCount + 1}`,
        authorId: command.actor.id,
        body: command.data.body,
        version: version.version,
        at: context.now,
      },
    },
  ]
}

function object(command: DisclosureCommandOf<'object'>, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  const published = requireStatus(state, 'published', 'objections are taken only while the disclosure is published')
  const version = requireCommentPeriodOpen(published, context)
  return [
    {
      type: 'DisclosureObjected',
      data: {
        objectionId: context.newId(),
        disclosureId: published.disclosureId,
        disclosureKind: published.kind,
        disclosureTitle: version.content.title,
        objectorId: command.actor.id,
        objectorUnits: [...(command.actor.units ?? [])],
        reason: command.data.reason,
        version: version.version,
        at: context.now,
      },
    },
  ]
}

function committeeReview(
  command: DisclosureCommandOf<'committee_review'>,
  state: DisclosureState,
  context: DisclosureContext,
): DisclosureEvent[] {
  const published = requireStatus(state, 'published', 'only a published disclosure can be reviewed')
  const version = currentVersion(published)
  return [
    {
      type: 'CommitteeReviewRecorded',
      data: {
        reviewerId: command.actor.id,
        decision: command.data.decision,
        note: command.data.note,
        version: version.version,
        contentHash: version.contentHash,
        at: context.now,
      },
    },
  ]
}

function retract(command: DisclosureCommandOf<'retract'>, state: DisclosureState, context: DisclosureContext): DisclosureEvent[] {
  const published = requireStatus(state, 'published', 'only a published disclosure can be retracted')
  return [
    {
      type: 'DisclosureRetracted',
      data: { reason: command.data.reason, version: currentVersion(published).version, at: context.now },
    },
  ]
}

function requireStatus<S extends DisclosureState['status']>(
  state: DisclosureState,
  status: S,
  message: string,
): Extract<DisclosureState, { status: S }> {
  if (state.status !== status) throw new RuleViolationError('INVALID_TRANSITION', `${message} (it is ${state.status})`)
  return state as Extract<DisclosureState, { status: S }>
}

/**
 * Comments and objections close at `commentPeriodEndsAt` (exclusive). Every major matter has one (it defaults to
 * `effectiveAt`); another kind has one only if its manager set it, and is otherwise open while published.
 */
function requireCommentPeriodOpen(
  state: Extract<DisclosureState, { status: 'published' }>,
  context: DisclosureContext,
): DisclosureVersion {
  const version = currentVersion(state)
  const endsAt = version.content.commentPeriodEndsAt
  if (endsAt !== null && instant(context.now) >= instant(endsAt)) {
    throw new RuleViolationError('COMMENT_PERIOD_CLOSED', `the comment period ended at ${endsAt}`)
  }
  return version
}

const isFinancial = (kind: DisclosureKind): boolean => (FINANCIAL_DISCLOSURE_KINDS as readonly string[]).includes(kind)

/**
 * Checks a draft against every content rule and returns the content it would publish. Field names are prefixed
 * (`content.` for a correction) so the error points into the request body. For a correction, the clock rules
 * (notice, comment period not yet over) apply only to the dates it changes: fixing a typo a day before a major
 * matter takes effect is allowed, moving the date closer without notice is not.
 */
function checkDraft(
  draft: DisclosureDraft,
  context: DisclosureContext,
  prefix: string,
  previous?: DisclosureContent,
): DisclosureContent {
  const field = (name: string): string => `${prefix}${name}`
  if (draft.period !== undefined && draft.period.from > draft.period.to) {
    throw new RuleViolationError('PERIOD_ENDS_BEFORE_START', 'the period ends before it starts', field('period.to'))
  }
  if (isFinancial(draft.kind)) {
    if (draft.period === undefined) {
      throw new RuleViolationError('PERIOD_REQUIRED', `a ${draft.kind} needs the period it covers`, field('period'))
    }
    if (draft.lineItems === undefined || draft.lineItems.length === 0) {
      throw new RuleViolationError('LINE_ITEMS_REQUIRED', `a ${draft.kind} needs at least one line item`, field('lineItems'))
    }
  }
  if (draft.kind === 'major_matter' && draft.effectiveAt === undefined) {
    throw new RuleViolationError('EFFECTIVE_AT_REQUIRED', 'a major matter needs the time it takes effect', field('effectiveAt'))
  }

  const content = buildContent(draft, prefix)
  const now = instant(context.now)
  const changed = (name: 'effectiveAt' | 'commentPeriodEndsAt'): boolean =>
    previous === undefined || !sameInstant(previous[name], content[name])

  if (content.effectiveAt !== null && content.commentPeriodEndsAt !== null) {
    if (instant(content.commentPeriodEndsAt) > instant(content.effectiveAt)) {
      throw new RuleViolationError(
        'COMMENT_PERIOD_AFTER_EFFECTIVE_AT',
        'the comment period must end no later than the matter takes effect',
        field('commentPeriodEndsAt'),
      )
    }
  }
  if (content.kind === 'major_matter' && content.effectiveAt !== null && changed('effectiveAt')) {
    const earliest = now + context.advanceNoticeDays * DAY_MS
    if (instant(content.effectiveAt) < earliest) {
      throw new RuleViolationError(
        'ADVANCE_NOTICE_TOO_SHORT',
        `a major matter must be published at least ${context.advanceNoticeDays} days before it takes effect ` +
          `(no earlier than ${new Date(earliest).toISOString()})`,
        field('effectiveAt'),
      )
    }
  }
  if (content.commentPeriodEndsAt !== null && changed('commentPeriodEndsAt') && instant(content.commentPeriodEndsAt) <= now) {
    throw new RuleViolationError(
      'COMMENT_PERIOD_ALREADY_ENDED',
      'the comment period would be over before it began',
      field('commentPeriodEndsAt'),
    )
  }
  return content
}

/** Milliseconds since the epoch of an ISO date-time; offsets are honoured, so `…T08:00+08:00` equals `…T00:00Z`. */
function instant(iso: string): number {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO date-time: ${iso}`)
  return ms
}

function sameInstant(a: string | null, b: string | null): boolean {
  return a === null || b === null ? a === b : instant(a) === instant(b)
}

/**
 * Folds one event into the state. An event that cannot follow the state means the stream is not one this decider
 * wrote, and replaying it further would hide that: it throws.
 */
function evolve(state: DisclosureState, event: DisclosureEvent): DisclosureState {
  switch (event.type) {
    case 'DisclosureDrafted':
      expectStatus(state, 'none', event.type)
      return {
        status: 'draft',
        disclosureId: event.data.disclosureId,
        draft: event.data.draft,
        draftedAt: event.data.at,
        revisedAt: null,
      }
    case 'DisclosureRevised': {
      const current = expectStatus(state, 'draft', event.type)
      return { ...current, draft: event.data.draft, revisedAt: event.data.at }
    }
    case 'DisclosurePublished': {
      const current = expectStatus(state, 'draft', event.type)
      const { content, contentHash: hash, at } = event.data
      return {
        status: 'published',
        disclosureId: current.disclosureId,
        kind: content.kind,
        versions: [{ version: 1, content, contentHash: hash, publishedAt: at, previousHash: null, reason: null }],
        commentCount: 0,
        objectionCount: 0,
        reviews: [],
      }
    }
    case 'DisclosureCorrected': {
      const current = expectStatus(state, 'published', event.type)
      const { version, content, contentHash: hash, previousHash, reason, at } = event.data
      const next: DisclosureVersion = { version, content, contentHash: hash, publishedAt: at, previousHash, reason }
      return { ...current, versions: [...current.versions, next] }
    }
    case 'DisclosureCommented': {
      const current = expectStatus(state, 'published', event.type)
      return { ...current, commentCount: current.commentCount + 1 }
    }
    case 'DisclosureObjected': {
      const current = expectStatus(state, 'published', event.type)
      return { ...current, objectionCount: current.objectionCount + 1 }
    }
    case 'CommitteeReviewRecorded': {
      const current = expectStatus(state, 'published', event.type)
      const { reviewerId, decision, note, version, contentHash: hash, at } = event.data
      return { ...current, reviews: [...current.reviews, { reviewerId, decision, note, version, contentHash: hash, at }] }
    }
    case 'DisclosureRetracted': {
      const current = expectStatus(state, 'published', event.type)
      return { ...current, status: 'retracted', retractedAt: event.data.at, retractReason: event.data.reason }
    }
    default:
      return assertNever(event)
  }
}

function expectStatus<S extends DisclosureState['status']>(
  state: DisclosureState,
  status: S,
  eventType: string,
): Extract<DisclosureState, { status: S }> {
  if (state.status !== status) throw new Error(`${eventType} cannot follow a disclosure in status ${state.status}`)
  return state as Extract<DisclosureState, { status: S }>
}
