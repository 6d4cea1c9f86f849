import t from 'tap'
import { createHash } from 'node:crypto'
import type { DisclosureDraft, DisclosureEvent } from '@pc/contracts'
import type { CommandActor } from '../src/decider.js'
import { ForbiddenError, NotFoundError, RuleViolationError } from '../src/errors.js'
import {
  authorizeDisclosureCommand,
  buildContent,
  contentHash,
  disclosureDecider,
  isDisclosureVisibleTo,
} from '../src/disclosures/index.js'
import type { DisclosureCommand, DisclosureContext, DisclosureState } from '../src/disclosures/index.js'
import {
  DISCLOSURE_ID,
  NOW,
  annualStatement,
  auditor,
  committee,
  context,
  daysAfterNow,
  drafted,
  given,
  liftReplacement,
  manager,
  notice,
  published,
  resident,
  staff,
} from './disclosure.fixtures.js'

const when = (state: DisclosureState, command: DisclosureCommand, ctx: DisclosureContext = context()): DisclosureEvent[] =>
  disclosureDecider.decide(command, state, ctx)

const draftCommand = (data: DisclosureDraft, actor: CommandActor = manager): DisclosureCommand => ({
  type: 'draft',
  disclosureId: DISCLOSURE_ID,
  data,
  actor,
})

const rule = (name: string, field?: string) =>
  field === undefined ? { name: 'RuleViolationError', rule: name } : { name: 'RuleViolationError', rule: name, field }

/** Builds a draft whose line items are replaced (used to smuggle values past the schema's types). */
const withLineItems = (items: unknown[]): DisclosureDraft =>
  ({ ...annualStatement, lineItems: items }) as DisclosureDraft

const publishedStatement = (): DisclosureState => given([drafted(annualStatement), published(annualStatement)])
const publishedMatter = (): DisclosureState => given([drafted(liftReplacement), published(liftReplacement)])

t.test('draft', async (t) => {
  t.test('given nothing, when a manager drafts a financial statement, then DisclosureDrafted', async (t) => {
    t.same(when(given([]), draftCommand(annualStatement)), [drafted(annualStatement)])
  })

  t.test('a financial statement without a period violates PERIOD_REQUIRED', async (t) => {
    const { period: _period, ...draft } = annualStatement
    t.throws(() => when(given([]), draftCommand(draft)), rule('PERIOD_REQUIRED', 'period'))
  })

  t.test('public revenue without line items (absent or empty) violates LINE_ITEMS_REQUIRED', async (t) => {
    const { lineItems: _items, ...rest } = annualStatement
    const draft: DisclosureDraft = { ...rest, kind: 'public_revenue' }
    t.throws(() => when(given([]), draftCommand(draft)), rule('LINE_ITEMS_REQUIRED', 'lineItems'))
    t.throws(() => when(given([]), draftCommand({ ...draft, lineItems: [] })), rule('LINE_ITEMS_REQUIRED', 'lineItems'))
  })

  t.test('a period that ends before it starts violates PERIOD_ENDS_BEFORE_START on period.to', async (t) => {
    const draft = { ...annualStatement, period: { from: '2025-12-31', to: '2025-01-01' } }
    t.throws(() => when(given([]), draftCommand(draft)), rule('PERIOD_ENDS_BEFORE_START', 'period.to'))
  })

  t.test('a one-day period (from = to) is allowed', async (t) => {
    const draft = { ...annualStatement, period: { from: '2025-06-30', to: '2025-06-30' } }
    t.equal(when(given([]), draftCommand(draft))[0]?.type, 'DisclosureDrafted')
  })

  t.test('a float amount violates AMOUNT_INVALID naming the line item', async (t) => {
    const items = [annualStatement.lineItems![0], { ...annualStatement.lineItems![1], amountFen: 100.5 }]
    t.throws(() => when(given([]), draftCommand(withLineItems(items))), rule('AMOUNT_INVALID', 'lineItems.1.amountFen'))
  })

  t.test('a negative amount violates AMOUNT_INVALID', async (t) => {
    const items = [{ ...annualStatement.lineItems![0], amountFen: -1 }]
    t.throws(() => when(given([]), draftCommand(withLineItems(items))), rule('AMOUNT_INVALID', 'lineItems.0.amountFen'))
  })

  t.test('an amount beyond 10^13 fen, Infinity or NaN violates AMOUNT_INVALID', async (t) => {
    for (const amountFen of [10_000_000_000_001, Infinity, Number.NaN, 2 ** 53]) {
      const items = [{ ...annualStatement.lineItems![0], amountFen }]
      t.throws(() => when(given([]), draftCommand(withLineItems(items))), rule('AMOUNT_INVALID'), String(amountFen))
    }
  })

  t.test('exactly 10^13 fen is allowed and exact', async (t) => {
    const items = [{ ...annualStatement.lineItems![0], amountFen: 10_000_000_000_000 }]
    t.equal(when(given([]), draftCommand(withLineItems(items))).length, 1)
  })

  t.test('a major matter without effectiveAt violates EFFECTIVE_AT_REQUIRED', async (t) => {
    const { effectiveAt: _e, commentPeriodEndsAt: _c, ...draft } = liftReplacement
    t.throws(() => when(given([]), draftCommand(draft)), rule('EFFECTIVE_AT_REQUIRED', 'effectiveAt'))
  })

  t.test('a major matter taking effect in under 7 days violates ADVANCE_NOTICE_TOO_SHORT', async (t) => {
    const draft = { ...liftReplacement, effectiveAt: daysAfterNow(6.9), commentPeriodEndsAt: daysAfterNow(5) }
    t.throws(() => when(given([]), draftCommand(draft)), rule('ADVANCE_NOTICE_TOO_SHORT', 'effectiveAt'))
  })

  t.test('exactly advanceNoticeDays of notice is enough', async (t) => {
    const draft = { ...liftReplacement, effectiveAt: daysAfterNow(7), commentPeriodEndsAt: daysAfterNow(5) }
    t.equal(when(given([]), draftCommand(draft)).length, 1)
  })

  t.test('the notice follows the configured advanceNoticeDays', async (t) => {
    const draft = { ...liftReplacement, effectiveAt: daysAfterNow(10), commentPeriodEndsAt: daysAfterNow(5) }
    t.equal(when(given([]), draftCommand(draft), context({ advanceNoticeDays: 7 })).length, 1)
    t.throws(
      () => when(given([]), draftCommand(draft), context({ advanceNoticeDays: 14 })),
      rule('ADVANCE_NOTICE_TOO_SHORT', 'effectiveAt'),
    )
  })

  t.test('offsets are honoured: +08:00 midnight is 16:00Z the day before', async (t) => {
    // 7 days after NOW in UTC is 2026-04-08T00:00Z; 2026-04-08T00:00+08:00 is 8 hours earlier, so too early.
    const draft = { ...liftReplacement, effectiveAt: '2026-04-08T00:00:00+08:00', commentPeriodEndsAt: daysAfterNow(5) }
    t.throws(() => when(given([]), draftCommand(draft)), rule('ADVANCE_NOTICE_TOO_SHORT', 'effectiveAt'))
  })

  t.test('a comment period ending after effectiveAt violates COMMENT_PERIOD_AFTER_EFFECTIVE_AT', async (t) => {
    const draft = { ...liftReplacement, commentPeriodEndsAt: daysAfterNow(31) }
    t.throws(
      () => when(given([]), draftCommand(draft)),
      rule('COMMENT_PERIOD_AFTER_EFFECTIVE_AT', 'commentPeriodEndsAt'),
    )
  })

  t.test('a comment period that has already ended violates COMMENT_PERIOD_ALREADY_ENDED', async (t) => {
    const draft = { ...liftReplacement, commentPeriodEndsAt: NOW }
    t.throws(() => when(given([]), draftCommand(draft)), rule('COMMENT_PERIOD_ALREADY_ENDED', 'commentPeriodEndsAt'))
  })

  t.test('given a draft, drafting the same id again violates DISCLOSURE_EXISTS', async (t) => {
    t.throws(() => when(given([drafted(notice)]), draftCommand(notice)), rule('DISCLOSURE_EXISTS'))
  })

  t.test('residents, committee members and staff may not draft', async (t) => {
    for (const actor of [resident, committee, staff]) {
      t.throws(() => when(given([]), draftCommand(notice, actor)), ForbiddenError, actor.id)
    }
  })
})

t.test('revise', async (t) => {
  const revised: DisclosureDraft = { ...notice, body: 'Water is off on Saturday, 08:00–12:00.' }

  t.test('given a draft, when a manager revises it, then DisclosureRevised and the draft is replaced', async (t) => {
    const events = when(given([drafted(notice)]), { type: 'revise', data: revised, actor: manager })
    t.same(events, [{ type: 'DisclosureRevised', data: { draft: revised, at: NOW } }])
    const state = given([drafted(notice), ...events])
    t.equal(state.status, 'draft')
    t.same(state.status === 'draft' && state.draft, revised)
  })

  t.test('a revision is checked like a draft (and may change the kind)', async (t) => {
    const bad = { ...annualStatement, period: { from: '2025-02-01', to: '2025-01-31' } }
    t.throws(
      () => when(given([drafted(notice)]), { type: 'revise', data: bad, actor: manager }),
      rule('PERIOD_ENDS_BEFORE_START', 'period.to'),
    )
    t.equal(when(given([drafted(notice)]), { type: 'revise', data: annualStatement, actor: manager }).length, 1)
  })

  t.test('a published disclosure cannot be revised: INVALID_TRANSITION', async (t) => {
    t.throws(() => when(publishedStatement(), { type: 'revise', data: annualStatement, actor: manager }), rule('INVALID_TRANSITION'))
  })

  t.test('a draft does not exist for a resident or a committee member: not found', async (t) => {
    for (const actor of [resident, committee]) {
      t.throws(() => when(given([drafted(notice)]), { type: 'revise', data: revised, actor }), NotFoundError, actor.id)
    }
  })

  t.test('given nothing, revising is not found even for a manager', async (t) => {
    t.throws(() => when(given([]), { type: 'revise', data: revised, actor: manager }), NotFoundError)
  })
})

t.test('publish', async (t) => {
  t.test('given a draft, when a manager publishes, then version 1 with the built content and its hash', async (t) => {
    const events = when(given([drafted(annualStatement)]), { type: 'publish', data: {}, actor: manager })
    t.equal(events.length, 1)
    const event = events[0]!
    if (event.type !== 'DisclosurePublished') throw new Error(`unexpected ${event.type}`)
    t.equal(event.data.version, 1)
    t.equal(event.data.at, NOW)
    t.same(event.data.content.totals, { incomeFen: 120_000_000, expenseFen: 83_000_050, netFen: 36_999_950 })
    t.same(event.data.content.lineItems, annualStatement.lineItems)
    t.equal(event.data.content.effectiveAt, null)
    t.equal(event.data.contentHash, contentHash(event.data.content))
    t.match(event.data.contentHash, /^[0-9a-f]{64}$/)
  })

  t.test('the state holds version 1 with its hash and publication time', async (t) => {
    const state = publishedStatement()
    if (state.status !== 'published') throw new Error(state.status)
    t.equal(state.versions.length, 1)
    t.same(state.versions[0], {
      version: 1,
      content: buildContent(annualStatement),
      contentHash: contentHash(buildContent(annualStatement)),
      publishedAt: NOW,
      previousHash: null,
      reason: null,
    })
  })

  t.test('a major matter whose notice ran short while it sat in draft violates ADVANCE_NOTICE_TOO_SHORT', async (t) => {
    const later = context({ now: daysAfterNow(24) })
    t.throws(
      () => when(given([drafted(liftReplacement)]), { type: 'publish', data: {}, actor: manager }, later),
      rule('ADVANCE_NOTICE_TOO_SHORT', 'effectiveAt'),
    )
  })

  t.test('a major matter whose comment period is over by publication violates COMMENT_PERIOD_ALREADY_ENDED', async (t) => {
    const draft = { ...liftReplacement, effectiveAt: daysAfterNow(60), commentPeriodEndsAt: daysAfterNow(10) }
    const later = context({ now: daysAfterNow(11) })
    t.throws(
      () => when(given([drafted(draft)]), { type: 'publish', data: {}, actor: manager }, later),
      rule('COMMENT_PERIOD_ALREADY_ENDED', 'commentPeriodEndsAt'),
    )
  })

  t.test('a major matter without a comment period gets one ending when it takes effect', async (t) => {
    const { commentPeriodEndsAt: _c, ...draft } = liftReplacement
    const [event] = when(given([drafted(draft)]), { type: 'publish', data: {}, actor: manager })
    t.equal(event?.type === 'DisclosurePublished' && event.data.content.commentPeriodEndsAt, liftReplacement.effectiveAt)
  })

  t.test('publishing twice violates INVALID_TRANSITION', async (t) => {
    t.throws(() => when(publishedStatement(), { type: 'publish', data: {}, actor: manager }), rule('INVALID_TRANSITION'))
  })

  t.test('a resident cannot publish a draft they cannot see; a published one is forbidden to them', async (t) => {
    t.throws(() => when(given([drafted(notice)]), { type: 'publish', data: {}, actor: resident }), NotFoundError)
    t.throws(() => when(publishedStatement(), { type: 'publish', data: {}, actor: resident }), ForbiddenError)
  })
})

t.test('content and hash', async (t) => {
  t.test('contentHash is SHA-256 of the RFC 8785 form of the content, written out by hand here', async (t) => {
    const content = buildContent({
      kind: 'notice',
      title: 'Water cut',
      body: 'Saturday',
      attachments: [{ name: 'map.pdf', sha256: 'a'.repeat(64), sizeBytes: 2048 }],
    })
    const canonical =
      '{"attachments":[{"name":"map.pdf","sha256":"' +
      'a'.repeat(64) +
      '","sizeBytes":2048}],"body":"Saturday","commentPeriodEndsAt":null,"effectiveAt":null,"kind":"notice",' +
      '"lineItems":[],"period":null,"title":"Water cut","totals":{"expenseFen":0,"incomeFen":0,"netFen":0}}'
    t.equal(contentHash(content), createHash('sha256').update(canonical, 'utf8').digest('hex'))
  })

  t.test('the content carries only schema members: extra properties on the draft never reach the hash', async (t) => {
    const sneaky = { ...notice, secret: 'x', lineItems: [{ ...annualStatement.lineItems![0], extra: 1 }] }
    t.same(buildContent(sneaky as DisclosureDraft), buildContent({ ...notice, lineItems: [annualStatement.lineItems![0]!] }))
  })

  t.test('a negative net is exact', async (t) => {
    const content = buildContent({
      ...annualStatement,
      lineItems: [
        { category: 'repair', description: 'Roof', amountFen: 10_000_000_000_000, direction: 'expense' },
        { category: 'fees', description: 'Fees', amountFen: 1, direction: 'income' },
      ],
    })
    t.same(content.totals, { incomeFen: 1, expenseFen: 10_000_000_000_000, netFen: -9_999_999_999_999 })
  })

  t.test('sums beyond 2^53 (only reachable past the schema limit of 500 items) violate TOTAL_OUT_OF_RANGE', async (t) => {
    const item = { category: 'ads', description: 'Ads', amountFen: 10_000_000_000_000, direction: 'income' as const }
    t.throws(() => buildContent({ ...annualStatement, lineItems: Array.from({ length: 901 }, () => item) }), rule('TOTAL_OUT_OF_RANGE', 'lineItems'))
    t.equal(buildContent({ ...annualStatement, lineItems: Array.from({ length: 500 }, () => item) }).totals.incomeFen, 5e15)
  })
})

t.test('correct', async (t) => {
  const fixed: DisclosureDraft = {
    ...annualStatement,
    lineItems: [...annualStatement.lineItems!, { category: 'ads', description: 'Lift ads', amountFen: 700_000, direction: 'income' }],
  }
  const v1 = buildContent(annualStatement)
  const v1Hash = contentHash(v1)
  const correctCommand = (content: DisclosureDraft, reason = 'March lift ad income was missing'): DisclosureCommand => ({
    type: 'correct',
    data: { content, reason },
    actor: manager,
  })

  t.test('given version 1, when corrected, then version 2 recording version 1’s hash and the reason', async (t) => {
    const events = when(publishedStatement(), correctCommand(fixed), context({ now: daysAfterNow(3) }))
    const v2 = buildContent(fixed)
    t.same(events, [
      {
        type: 'DisclosureCorrected',
        data: {
          version: 2,
          content: v2,
          contentHash: contentHash(v2),
          previousHash: v1Hash,
          reason: 'March lift ad income was missing',
          at: daysAfterNow(3),
        },
      },
    ])
    t.equal(v2.totals.incomeFen, 120_700_000)
    const state = given([drafted(annualStatement), published(annualStatement), ...events])
    if (state.status !== 'published') throw new Error(state.status)
    t.equal(state.versions.length, 2)
    t.same(state.versions[0]?.content, v1, 'version 1 is untouched')
    t.equal(state.versions[0]?.contentHash, v1Hash)
    t.equal(state.versions[1]?.reason, 'March lift ad income was missing')
  })

  t.test('a second correction is version 3 and chains to version 2', async (t) => {
    const first = when(publishedStatement(), correctCommand(fixed))
    const state = given([drafted(annualStatement), published(annualStatement), ...first])
    const again = { ...fixed, title: '2025 年度物业费收支（更正）' }
    const [event] = when(state, correctCommand(again, 'title'))
    if (event?.type !== 'DisclosureCorrected') throw new Error('expected a correction')
    t.equal(event.data.version, 3)
    t.equal(event.data.previousHash, contentHash(buildContent(fixed)))
  })

  t.test('a correction identical to the current version violates CORRECTION_UNCHANGED', async (t) => {
    t.throws(() => when(publishedStatement(), correctCommand(annualStatement)), rule('CORRECTION_UNCHANGED', 'content'))
  })

  t.test('a correction may not change the kind', async (t) => {
    t.throws(
      () => when(publishedStatement(), correctCommand({ ...fixed, kind: 'public_revenue' })),
      rule('KIND_CHANGE_NOT_ALLOWED', 'content.kind'),
    )
  })

  t.test('a correction is checked like a draft, with fields under content.', async (t) => {
    const negative = withLineItems([{ ...annualStatement.lineItems![0], amountFen: -5 }])
    t.throws(() => when(publishedStatement(), correctCommand(negative)), rule('AMOUNT_INVALID', 'content.lineItems.0.amountFen'))
    const inverted = { ...fixed, period: { from: '2025-12-31', to: '2025-01-01' } }
    t.throws(() => when(publishedStatement(), correctCommand(inverted)), rule('PERIOD_ENDS_BEFORE_START', 'content.period.to'))
  })

  t.test('a major matter corrected close to its date keeps its notice if effectiveAt is unchanged', async (t) => {
    const late = context({ now: daysAfterNow(25) })
    const typo = { ...liftReplacement, body: `${liftReplacement.body} (Both lifts.)` }
    t.equal(when(publishedMatter(), correctCommand(typo), late).length, 1)
  })

  t.test('a correction that moves effectiveAt needs fresh notice: ADVANCE_NOTICE_TOO_SHORT', async (t) => {
    const late = context({ now: daysAfterNow(10) })
    const sooner = { ...liftReplacement, effectiveAt: daysAfterNow(15), commentPeriodEndsAt: daysAfterNow(12) }
    t.throws(() => when(publishedMatter(), correctCommand(sooner), late), rule('ADVANCE_NOTICE_TOO_SHORT', 'content.effectiveAt'))
  })

  t.test('a draft or a retracted disclosure cannot be corrected: INVALID_TRANSITION', async (t) => {
    t.throws(() => when(given([drafted(annualStatement)]), correctCommand(fixed)), rule('INVALID_TRANSITION'))
    const retracted = given([
      drafted(annualStatement),
      published(annualStatement),
      { type: 'DisclosureRetracted', data: { reason: 'wrong estate', version: 1, at: NOW } },
    ])
    t.throws(() => when(retracted, correctCommand(fixed)), rule('INVALID_TRANSITION'))
  })

  t.test('only managers correct', async (t) => {
    for (const actor of [resident, committee, staff]) {
      t.throws(() => when(publishedStatement(), { ...correctCommand(fixed), actor }), ForbiddenError, actor.id)
    }
  })
})

t.test('comment', async (t) => {
  t.test('given a published disclosure, residents and committee members comment, numbered in order', async (t) => {
    const first = when(publishedStatement(), { type: 'comment', data: { body: 'Why did cleaning cost more?' }, actor: resident })
    t.same(first, [
      {
        type: 'DisclosureCommented',
        data: { commentId: 'comment-1', authorId: 'resident-1', body: 'Why did cleaning cost more?', version: 1, at: NOW },
      },
    ])
    const state = given([drafted(annualStatement), published(annualStatement), ...first])
    const [second] = when(state, { type: 'comment', data: { body: 'Contract attached.' }, actor: committee })
    t.equal(second?.type === 'DisclosureCommented' && second.data.commentId, 'comment-2')
    t.equal(second?.type === 'DisclosureCommented' && second.data.authorId, 'committee-1')
  })

  t.test('managers and staff do not comment', async (t) => {
    for (const actor of [manager, staff]) {
      t.throws(() => when(publishedStatement(), { type: 'comment', data: { body: 'x' }, actor }), ForbiddenError, actor.id)
    }
  })

  t.test('a draft cannot be commented on: not found to residents', async (t) => {
    t.throws(() => when(given([drafted(notice)]), { type: 'comment', data: { body: 'x' }, actor: resident }), NotFoundError)
  })

  t.test('a major matter takes comments inside its comment period only', async (t) => {
    const command: DisclosureCommand = { type: 'comment', data: { body: 'Which brand of lift?' }, actor: resident }
    t.equal(when(publishedMatter(), command, context({ now: daysAfterNow(19.99) })).length, 1, 'just before the end')
    t.throws(() => when(publishedMatter(), command, context({ now: daysAfterNow(20) })), rule('COMMENT_PERIOD_CLOSED'), 'at the end')
    t.throws(() => when(publishedMatter(), command, context({ now: daysAfterNow(21) })), rule('COMMENT_PERIOD_CLOSED'), 'after')
  })

  t.test('a retracted disclosure takes no comments: INVALID_TRANSITION', async (t) => {
    const retracted = given([
      drafted(notice),
      published(notice),
      { type: 'DisclosureRetracted', data: { reason: 'cancelled', version: 1, at: NOW } },
    ])
    t.throws(() => when(retracted, { type: 'comment', data: { body: 'x' }, actor: resident }), rule('INVALID_TRANSITION'))
  })
})

t.test('object', async (t) => {
  const objection: DisclosureCommand = { type: 'object', data: { reason: 'The security contract was never tendered.' }, actor: resident }

  t.test('given a published disclosure, a resident objects: everything a reactor needs to open a case', async (t) => {
    const events = when(publishedStatement(), objection)
    t.same(events, [
      {
        type: 'DisclosureObjected',
        data: {
          objectionId: '00000000-0000-4000-8000-000000000001',
          disclosureId: DISCLOSURE_ID,
          disclosureKind: 'financial_statement',
          disclosureTitle: annualStatement.title,
          objectorId: 'resident-1',
          objectorUnits: ['3-1-502'],
          reason: 'The security contract was never tendered.',
          version: 1,
          at: NOW,
        },
      },
    ])
    const state = given([drafted(annualStatement), published(annualStatement), ...events])
    t.equal(state.status === 'published' && state.objectionCount, 1)
  })

  t.test('the objection id comes from the context, so the same context gives the same id', async (t) => {
    const ids = ['a', 'b'].map(() => {
      const [event] = when(publishedStatement(), objection, context({ newId: () => '11111111-1111-4111-8111-111111111111' }))
      return event?.type === 'DisclosureObjected' ? event.data.objectionId : undefined
    })
    t.same(ids, ['11111111-1111-4111-8111-111111111111', '11111111-1111-4111-8111-111111111111'])
  })

  t.test('only residents object', async (t) => {
    for (const actor of [committee, manager, staff]) {
      t.throws(() => when(publishedStatement(), { ...objection, actor }), ForbiddenError, actor.id)
    }
  })

  t.test('a major matter takes objections inside its comment period only', async (t) => {
    t.equal(when(publishedMatter(), objection, context({ now: daysAfterNow(1) })).length, 1)
    t.throws(() => when(publishedMatter(), objection, context({ now: daysAfterNow(25) })), rule('COMMENT_PERIOD_CLOSED'))
  })

  t.test('a draft cannot be objected to: not found', async (t) => {
    t.throws(() => when(given([drafted(notice)]), objection), NotFoundError)
  })
})

t.test('committee review', async (t) => {
  t.test('given a published disclosure, a committee member records a review of the current version', async (t) => {
    const events = when(publishedStatement(), {
      type: 'committee_review',
      data: { decision: 'disputed', note: 'Security costs do not match the contract.' },
      actor: committee,
    })
    t.same(events, [
      {
        type: 'CommitteeReviewRecorded',
        data: {
          reviewerId: 'committee-1',
          decision: 'disputed',
          note: 'Security costs do not match the contract.',
          version: 1,
          contentHash: contentHash(buildContent(annualStatement)),
          at: NOW,
        },
      },
    ])
    const state = given([drafted(annualStatement), published(annualStatement), ...events])
    t.equal(state.status === 'published' && state.reviews[0]?.decision, 'disputed')
  })

  t.test('only committee members review; a draft is not found to them; a retracted one is not reviewed', async (t) => {
    const review: DisclosureCommand = { type: 'committee_review', data: { decision: 'acknowledged', note: 'ok' }, actor: committee }
    for (const actor of [resident, manager, auditor]) {
      t.throws(() => when(publishedStatement(), { ...review, actor }), ForbiddenError, actor.id)
    }
    t.throws(() => when(given([drafted(notice)]), review), NotFoundError)
    const retracted = given([drafted(notice), published(notice), { type: 'DisclosureRetracted', data: { reason: 'x', version: 1, at: NOW } }])
    t.throws(() => when(retracted, review), rule('INVALID_TRANSITION'))
  })
})

t.test('retract', async (t) => {
  const retract: DisclosureCommand = { type: 'retract', data: { reason: 'Published for the wrong estate' }, actor: manager }

  t.test('given a published disclosure, a manager retracts it; every version stays readable', async (t) => {
    const events = when(publishedStatement(), retract, context({ now: daysAfterNow(2) }))
    t.same(events, [{ type: 'DisclosureRetracted', data: { reason: 'Published for the wrong estate', version: 1, at: daysAfterNow(2) } }])
    const state = given([drafted(annualStatement), published(annualStatement), ...events])
    if (state.status !== 'retracted') throw new Error(state.status)
    t.equal(state.retractReason, 'Published for the wrong estate')
    t.same(state.versions[0]?.content, buildContent(annualStatement))
    t.ok(isDisclosureVisibleTo(resident, state.status), 'still readable by residents')
  })

  t.test('a draft cannot be retracted, nor a retracted one again: INVALID_TRANSITION', async (t) => {
    t.throws(() => when(given([drafted(notice)]), retract), rule('INVALID_TRANSITION'))
    const retracted = given([drafted(notice), published(notice), { type: 'DisclosureRetracted', data: { reason: 'x', version: 1, at: NOW } }])
    t.throws(() => when(retracted, retract), rule('INVALID_TRANSITION'))
  })

  t.test('only managers retract', async (t) => {
    for (const actor of [resident, committee, staff]) {
      t.throws(() => when(publishedStatement(), { ...retract, actor }), ForbiddenError, actor.id)
    }
  })
})

t.test('authorizeDisclosureCommand', async (t) => {
  const none = given([])
  const draft = given([drafted(notice)])
  const live = given([drafted(notice), published(notice)])
  t.equal(authorizeDisclosureCommand('draft', manager, none), 'allow')
  t.equal(authorizeDisclosureCommand('draft', resident, none), 'forbidden')
  t.equal(authorizeDisclosureCommand('publish', manager, none), 'not_found')
  t.equal(authorizeDisclosureCommand('publish', manager, draft), 'allow')
  t.equal(authorizeDisclosureCommand('comment', resident, draft), 'not_found', 'drafts are invisible to residents')
  t.equal(authorizeDisclosureCommand('committee_review', committee, draft), 'not_found')
  t.equal(authorizeDisclosureCommand('retract', auditor, draft), 'not_found', 'and to auditors')
  t.equal(authorizeDisclosureCommand('comment', manager, draft), 'forbidden', 'a manager sees the draft but does not comment')
  t.equal(authorizeDisclosureCommand('comment', resident, live), 'allow')
  t.equal(authorizeDisclosureCommand('comment', committee, live), 'allow')
  t.equal(authorizeDisclosureCommand('object', resident, live), 'allow')
  t.equal(authorizeDisclosureCommand('object', committee, live), 'forbidden')
  t.equal(authorizeDisclosureCommand('committee_review', committee, live), 'allow')
  t.equal(authorizeDisclosureCommand('correct', manager, live), 'allow')
  t.equal(authorizeDisclosureCommand('correct', { id: 'x', roles: ['resident', 'manager'] }, live), 'allow', 'any role suffices')
})

t.test('evolve refuses an event that cannot follow the state', async (t) => {
  t.throws(() => given([published(notice)]), /DisclosurePublished cannot follow a disclosure in status none/)
  t.throws(() => given([drafted(notice), drafted(notice)]), /DisclosureDrafted cannot follow/)
})

t.test('errors are the domain’s typed errors', async (t) => {
  t.throws(() => when(given([]), draftCommand({ ...liftReplacement, effectiveAt: NOW })), RuleViolationError)
})
