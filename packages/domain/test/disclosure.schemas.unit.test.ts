import t from 'tap'
import {
  CommentDisclosureBody,
  CommitteeReviewBody,
  CorrectDisclosureBody,
  DisclosureCommandBodies,
  DisclosureCommandRoutes,
  DisclosureEventTypes,
  DraftDisclosureBody,
  PublishDisclosureBody,
  disclosureEventReader,
} from '@pc/contracts'

/**
 * The HTTP bodies of issue 6 (`@pc/contracts` disclosures), fed raw JSON text the way a request arrives, so
 * numbers JSON cannot carry exactly (1e400, 2^53 + 1) are seen as the server sees them.
 */

const body = (json: string): unknown => JSON.parse(json)

const statementJson = (amount: string, period = '{"from":"2025-01-01","to":"2025-12-31"}'): string =>
  `{"kind":"financial_statement","title":"2025","body":"b","period":${period},` +
  `"lineItems":[{"category":"fees","description":"Fees","amountFen":${amount},"direction":"income"}]}`

/** The paths of the failing fields, dotted as the problem+json `errors` carry them. */
const failingPaths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] =>
  result.success ? [] : [...new Set((result.error?.issues ?? []).map((issue) => issue.path.map(String).join('.')))]

t.test('a valid draft parses and keeps integer fen', async (t) => {
  const parsed = DraftDisclosureBody.parse(body(statementJson('120000000')))
  t.equal(parsed.lineItems?.[0]?.amountFen, 120_000_000)
})

t.test('amountFen must be a JSON integer from 0 to 10^13; the failing field is named', async (t) => {
  const rejected = ['100.5', '-1', '1e400', '-1e400', '10000000000001', '9007199254740993', '"100"', 'null', '1.0000001', '25e-1']
  for (const amount of rejected) {
    t.same(failingPaths(DraftDisclosureBody.safeParse(body(statementJson(amount)))), ['lineItems.0.amountFen'], amount)
  }
  for (const amount of ['0', '10000000000000', '1e13', '100.0', '0.1e1']) {
    // 1e13, 100.0 and 0.1e1 are the same numbers as 10000000000000, 100 and 1 once parsed: JSON has one number type.
    t.ok(DraftDisclosureBody.safeParse(body(statementJson(amount))).success, amount)
  }
})

t.test('a period that ends before it starts is rejected on period.to', async (t) => {
  const result = DraftDisclosureBody.safeParse(body(statementJson('1', '{"from":"2025-12-31","to":"2025-01-01"}')))
  t.same(failingPaths(result), ['period.to'])
  t.same(failingPaths(DraftDisclosureBody.safeParse(body(statementJson('1', '{"from":"2025-13-01","to":"2025-12-31"}')))), [
    'period.from',
  ])
})

t.test('objects are strict and kinds are closed', async (t) => {
  const extra = { ...(body(statementJson('1')) as object), totals: { incomeFen: 1 } }
  t.notOk(DraftDisclosureBody.safeParse(extra).success, 'totals are computed, never sent')
  t.notOk(DraftDisclosureBody.safeParse({ kind: 'press_release', title: 't', body: 'b' }).success)
  t.notOk(PublishDisclosureBody.safeParse({ version: 1 }).success)
  t.notOk(CommentDisclosureBody.safeParse({ body: 'hi', authorId: 'someone-else' }).success)
})

t.test('corrections name the field inside content', async (t) => {
  const result = CorrectDisclosureBody.safeParse({ content: body(statementJson('100.5')), reason: 'fix' })
  t.same(failingPaths(result), ['content.lineItems.0.amountFen'])
  t.same(failingPaths(CorrectDisclosureBody.safeParse({ content: body(statementJson('1')) })), ['reason'])
})

t.test('committee review decisions are acknowledged or disputed, with a note', async (t) => {
  t.ok(CommitteeReviewBody.safeParse({ decision: 'acknowledged', note: 'checked against the bank statement' }).success)
  t.same(failingPaths(CommitteeReviewBody.safeParse({ decision: 'approved', note: 'x' })), ['decision'])
  t.same(failingPaths(CommitteeReviewBody.safeParse({ decision: 'disputed' })), ['note'])
})

t.test('attachments carry a lowercase hex SHA-256 and a byte size', async (t) => {
  const draft = { kind: 'notice', title: 't', body: 'b', attachments: [{ name: 'a.pdf', sha256: 'A'.repeat(64), sizeBytes: 1 }] }
  t.same(failingPaths(DraftDisclosureBody.safeParse(draft)), ['attachments.0.sha256'])
})

t.test('every route maps to a command with a body schema; the event registry is versioned', async (t) => {
  for (const type of Object.values(DisclosureCommandRoutes)) t.ok(DisclosureCommandBodies[type], type)
  t.same(Object.keys(DisclosureEventTypes).sort(), [
    'CommitteeReviewRecorded',
    'DisclosureCommented',
    'DisclosureCorrected',
    'DisclosureDrafted',
    'DisclosureObjected',
    'DisclosurePublished',
    'DisclosureRetracted',
    'DisclosureRevised',
  ])
  t.throws(() => disclosureEventReader.parse('DisclosureRetracted', 2, { reason: 'x', version: 1, at: '2026-01-01T00:00:00Z' }))
  t.throws(() => disclosureEventReader.parse('DisclosureRetracted', 1, { reason: 'x', version: 0, at: '2026-01-01T00:00:00Z' }))
})
