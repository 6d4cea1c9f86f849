import t from 'tap'
import {
  AssignCaseBody,
  CaseCommandBodies,
  CaseCommandRoutes,
  CaseEventTypes,
  caseEventReader,
  CommandAccepted,
  FollowUpCaseBody,
  NoteCaseBody,
  ReportCaseBody,
  ReviewCaseBody,
  UnknownEventTypeError,
  UnsupportedSchemaVersionError,
  upcast,
} from '@pc/contracts'
import { caseEventCodec, CASE_COMMAND_TYPES } from '../src/index.js'
import { historyTo, run, commandFor } from './support/case-fixtures.js'

const report = {
  kind: 'repair',
  category: 'lift',
  title: 'Lift 2 stops between floors',
  description: 'Since this morning.',
  channel: 'wechat',
  location: { building: '3', unit: '1', area: 'lobby' },
  reporter: { name: '李女士', phone: '+86 138-0000-0000' },
}

t.test('command bodies are strict: an unknown key is refused', async (t) => {
  t.ok(ReportCaseBody.safeParse(report).success)
  t.notOk(ReportCaseBody.safeParse({ ...report, status: 'closed' }).success, 'top level')
  t.notOk(ReportCaseBody.safeParse({ ...report, location: { building: '3', floor: 5 } }).success, 'nested')
  t.notOk(NoteCaseBody.safeParse({ body: 'x', visiblity: 'public' }).success, 'a typo never defaults a note to public')
  for (const [type, schema] of Object.entries(CaseCommandBodies)) {
    const result = schema.safeParse({ surprise: true })
    t.notOk(result.success, `${type} refuses unknown keys`)
  }
})

t.test('enums and limits', async (t) => {
  t.notOk(ReportCaseBody.safeParse({ ...report, kind: 'praise' }).success, 'kind')
  t.notOk(ReportCaseBody.safeParse({ ...report, channel: 'fax' }).success, 'channel')
  t.notOk(ReportCaseBody.safeParse({ ...report, priority: 'critical' }).success, 'priority')
  t.ok(ReportCaseBody.safeParse({ ...report, title: 'x'.repeat(200) }).success, 'a 200-character title')
  t.notOk(ReportCaseBody.safeParse({ ...report, title: 'x'.repeat(201) }).success, 'a 201-character title')
  t.notOk(ReportCaseBody.safeParse({ ...report, title: '   ' }).success, 'a blank title')
  t.ok(ReportCaseBody.safeParse({ ...report, description: 'x'.repeat(10_000) }).success)
  t.notOk(ReportCaseBody.safeParse({ ...report, description: 'x'.repeat(10_001) }).success, 'free text ≤ 10,000')
  t.notOk(ReportCaseBody.safeParse({ ...report, reporter: { phone: 'call me maybe' } }).success, 'phone characters')
  t.equal(ReportCaseBody.parse({ ...report, title: '  Lift  ' }).title, 'Lift', 'text is trimmed')
  t.notOk(NoteCaseBody.safeParse({ body: 'x', visibility: 'secret' }).success, 'visibility')
  t.notOk(FollowUpCaseBody.safeParse({ rating: 3, method: 'letter' }).success, 'method')
  t.notOk(AssignCaseBody.safeParse({ assigneeId: 'has spaces' }).success, 'user ids')
  t.notOk(ReviewCaseBody.safeParse({ rootCause: 'a', lessons: 'b', preventiveActions: Array(51).fill('x'), typical: true }).success)
})

t.test('follow-up rating is an integer from 1 to 5', async (t) => {
  for (const rating of [1, 2, 3, 4, 5]) t.ok(FollowUpCaseBody.safeParse({ rating, method: 'phone' }).success, `${rating}`)
  for (const rating of [0, 6, 2.5, '4']) t.notOk(FollowUpCaseBody.safeParse({ rating, method: 'phone' }).success, `${rating}`)
})

t.test('every command type has a body schema and every route a command', async (t) => {
  const httpTypes = CASE_COMMAND_TYPES.filter((type) => type !== 'record_overdue')
  t.same(Object.keys(CaseCommandBodies).sort(), [...httpTypes].sort())
  t.equal(CaseCommandRoutes['follow-up'], 'follow_up')
  t.same(Object.keys(CaseCommandRoutes).length, httpTypes.length - 1, 'all but report, which is POST /v1/cases')
  t.ok(CommandAccepted.safeParse({ id: 'x', revision: '12', position: '9007199254740993' }).success)
  t.notOk(CommandAccepted.safeParse({ id: 'x', revision: 12, position: '1' }).success, 'bigints travel as strings')
})

t.test('upcasting: CaseEscalated v1 → v2', async (t) => {
  const v1 = { reason: 'no answer for two days', level: 1, at: '2026-01-05T02:00:00.000Z' }
  t.same(upcast('CaseEscalated', 1, v1), { ...v1, source: 'manual', clock: null })
  t.same(v1, { reason: 'no answer for two days', level: 1, at: '2026-01-05T02:00:00.000Z' }, 'input untouched')
  const parsed = caseEventCodec.fromStored({ type: 'CaseEscalated', schemaVersion: 1, data: v1 })
  t.same(parsed, { type: 'CaseEscalated', data: { ...v1, source: 'manual', clock: null } })
  t.throws(() => caseEventReader.parse('CaseEscalated', 1, { ...v1, source: 'sla' }), 'v1 is validated as v1')
  t.throws(() => upcast('CaseEscalated', 3, v1), UnsupportedSchemaVersionError)
  t.throws(() => upcast('CaseEscalated', 0, v1), UnsupportedSchemaVersionError)
  t.throws(() => upcast('CaseTeleported', 1, {}), UnknownEventTypeError)
  t.equal(CaseEventTypes.CaseEscalated.schemaVersion, 2)
  t.same(upcast('CaseOnHold', 1, { reason: 'r', at: '2026-01-05T02:00:00.000Z' }), { reason: 'r', at: '2026-01-05T02:00:00.000Z' }, 'latest is left alone')
})

t.test('the codec writes the latest version and refuses what the schema refuses', async (t) => {
  const { events } = historyTo('closed')
  for (const event of events) {
    const stored = caseEventCodec.toStored(event)
    t.equal(stored.schemaVersion, CaseEventTypes[event.type].schemaVersion, `${event.type} v${stored.schemaVersion}`)
    t.same(caseEventCodec.fromStored(JSON.parse(JSON.stringify(stored))), event)
  }
  const [reported] = run([commandFor('report')]).events
  if (reported?.type !== 'CaseReported') return t.fail('no report')
  t.throws(() => caseEventCodec.toStored({ ...reported, data: { ...reported.data, priority: 'whenever' as 'low' } }))
  t.throws(() => caseEventCodec.fromStored({ type: 'CaseReported', schemaVersion: 1, data: { ...reported.data, extra: 1 } }))
})
