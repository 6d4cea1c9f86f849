import t from 'tap'
import { ReportCaseBody, type DisclosureEventData } from '@pc/contracts'
import { caseDecider, DEFAULT_SLA_POLICY } from '../src/index.js'
import {
  OBJECTION_CASE_ACTOR,
  objectionCaseEventId,
  objectionCaseId,
  objectionCaseReport,
} from '../src/disclosures/index.js'

/** Objection → case: the pure translation the projector's reactor issues. */

const objection: DisclosureEventData<'DisclosureObjected'> = {
  objectionId: '0b6e2f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b',
  disclosureId: '6d0f3c9e-2b7a-4e51-9c1d-3f8a2b4c5d6e',
  disclosureKind: 'public_revenue',
  disclosureTitle: '2026 年第一季度公共收益',
  objectorId: 'resident-7',
  objectorUnits: ['3-1-502', '3-1-503'],
  reason: 'Lift advertising income is missing for March.',
  version: 2,
  at: '2026-04-10T02:00:00.000Z',
}

t.test('the case id is a uuid derived from the objection id: the same for the same objection only', async (t) => {
  const id = objectionCaseId(objection.objectionId)
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'RFC 9562 version 8, variant 10')
  t.equal(objectionCaseId(objection.objectionId), id)
  t.not(objectionCaseId('0b6e2f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5c'), id)
  t.not(objectionCaseEventId(objection.objectionId, 0), id, 'event ids are other names')
  t.not(objectionCaseEventId(objection.objectionId, 0), objectionCaseEventId(objection.objectionId, 1))
})

t.test('an objection becomes a complaint in category disclosure, for the objector, naming the disclosure', async (t) => {
  const { caseId, data } = objectionCaseReport(objection)
  t.equal(caseId, objectionCaseId(objection.objectionId))
  t.same(data, {
    kind: 'complaint',
    category: 'disclosure',
    title: 'Objection to disclosure: 2026 年第一季度公共收益',
    description:
      'Lift advertising income is missing for March.\n\n' +
      'Disclosure 6d0f3c9e-2b7a-4e51-9c1d-3f8a2b4c5d6e (public_revenue), version 2; objection 0b6e2f0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b.',
    channel: 'app',
    priority: 'normal',
    location: { building: 'estate', unit: '3-1-502' },
    reporterId: 'resident-7',
  })
  t.same(ReportCaseBody.parse(data), data, 'a valid report body')
})

t.test('the case decider accepts it from the reactor’s actor, as a case the objector owns', async (t) => {
  const { caseId, data } = objectionCaseReport(objection)
  const [reported] = caseDecider.decide({ type: 'report', caseId, data, actor: OBJECTION_CASE_ACTOR }, caseDecider.initialState, {
    now: objection.at,
    slaPolicy: DEFAULT_SLA_POLICY,
  })
  t.match(reported, { type: 'CaseReported', data: { caseId, reporterId: 'resident-7', reportedBy: 'system:disclosures', at: objection.at } })
})

t.test('every field fits the case schema whatever the title and units', async (t) => {
  const long = objectionCaseReport({ ...objection, disclosureTitle: '𝄞'.repeat(150), objectorUnits: [] })
  t.ok(long.data.title.length <= 200, 'the title is clipped to 200 UTF-16 units')
  t.ok(long.data.title.endsWith('…'))
  t.notMatch(long.data.title, /[\uD800-\uDBFF]…$/, 'no surrogate pair is split')
  t.same(long.data.location, { building: 'estate' }, 'no unit when the token named none')
  t.ok(ReportCaseBody.safeParse(long.data).success)
  const oddUnits = objectionCaseReport({ ...objection, objectorUnits: [' ', 'x'.repeat(101), ' 5-2-301 '] })
  t.same(oddUnits.data.location, { building: 'estate', unit: '5-2-301' })
})
