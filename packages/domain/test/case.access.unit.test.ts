import t from 'tap'
import type * as Tap from 'tap'
import { Role } from '@pc/contracts'
import { authorizeCaseCommand, CASE_COMMAND_TYPES, caseCommandRoles, caseDecider, ForbiddenError, NotFoundError } from '../src/index.js'
import type { AccessDecision, CaseCommandName, CommandActor } from '../src/index.js'
import { actors, commandFor, context, historyTo, thrown } from './support/case-fixtures.js'

// The case of `actors.resident`, in progress and assigned to `actors.technician`.
const { state: theirCase, now } = historyTo('in_progress')
const noCase = caseDecider.initialState

const HUMAN_COMMANDS = CASE_COMMAND_TYPES.filter((type) => type !== 'record_overdue' && type !== 'report')
const STAFF_COMMANDS = HUMAN_COMMANDS.filter((type) => type !== 'review')

function expectAll(
  t: Tap.Test,
  actor: CommandActor,
  expected: (type: CaseCommandName) => AccessDecision,
  state = theirCase,
): void {
  for (const type of CASE_COMMAND_TYPES) {
    const data = type === 'note' ? { visibility: 'public' } : undefined
    t.equal(authorizeCaseCommand(type, actor, state, data), expected(type), `${actor.id}: ${type} → ${expected(type)}`)
  }
}


t.test('staff may issue every staff command but review', async (t) => {
  expectAll(t, actors.staff, (type) => ((STAFF_COMMANDS as string[]).includes(type) || type === 'report' ? 'allow' : 'forbidden'))
})

t.test('managers may issue every staff command and, alone, review', async (t) => {
  expectAll(t, actors.manager, (type) => (type === 'record_overdue' ? 'forbidden' : 'allow'))
  t.equal(authorizeCaseCommand('review', actors.staff, theirCase), 'forbidden')
  t.equal(authorizeCaseCommand('review', actors.technician, theirCase), 'forbidden')
  t.equal(authorizeCaseCommand('review', actors.resident, theirCase), 'forbidden')
})

t.test('residents: report, and on their own case note (public), follow up, reopen, withdraw', async (t) => {
  const own = new Set<CaseCommandName>(['report', 'note', 'follow_up', 'reopen', 'withdraw'])
  expectAll(t, actors.resident, (type) => (own.has(type) ? 'allow' : 'forbidden'))
  t.equal(authorizeCaseCommand('note', actors.resident, theirCase, { visibility: 'internal' }), 'forbidden', 'never internal notes')
  t.equal(authorizeCaseCommand('note', actors.resident, theirCase), 'forbidden', 'a note of unknown visibility is refused')
})

t.test('a resident touching another resident’s case gets not_found, whatever the command', async (t) => {
  expectAll(t, actors.otherResident, (type) => (type === 'report' ? 'allow' : type === 'record_overdue' ? 'forbidden' : 'not_found'))
})

t.test('a resident asking about a case that does not exist gets the same not_found', async (t) => {
  for (const type of HUMAN_COMMANDS) t.equal(authorizeCaseCommand(type, actors.resident, noCase), 'not_found', type)
})

t.test('a resident reports as themselves only', async (t) => {
  t.equal(authorizeCaseCommand('report', actors.resident, noCase, {}), 'allow')
  t.equal(authorizeCaseCommand('report', actors.resident, noCase, { reporterId: actors.resident.id }), 'allow')
  t.equal(authorizeCaseCommand('report', actors.resident, noCase, { reporterId: 'resident-2' }), 'forbidden')
  t.equal(authorizeCaseCommand('report', actors.staff, noCase, { reporterId: 'resident-2' }), 'allow', 'staff may')
})

t.test('technicians note and resolve the cases assigned to them, nothing else', async (t) => {
  expectAll(t, actors.technician, (type) => (type === 'note' || type === 'resolve' ? 'allow' : 'forbidden'))
  expectAll(t, actors.otherTechnician, () => 'forbidden')
  t.equal(authorizeCaseCommand('note', actors.technician, noCase, { visibility: 'public' }), 'not_found')
})

t.test('mediators, committee members, auditors and admins issue no case command', async (t) => {
  for (const actor of [actors.mediator, actors.committee, actors.auditor, actors.admin]) expectAll(t, actor, () => 'forbidden')
  expectAll(t, { id: 'nobody', roles: [] }, () => 'forbidden')
})

t.test('only system:sla records overdue clocks, and nothing else', async (t) => {
  expectAll(t, actors.sla, (type) => (type === 'record_overdue' ? 'allow' : 'forbidden'))
  t.equal(authorizeCaseCommand('record_overdue', actors.sla, noCase), 'not_found')
  t.equal(authorizeCaseCommand('record_overdue', { id: 'staff-1', roles: ['system'] }, theirCase), 'forbidden')
})

t.test('staff acting on a case that does not exist get not_found', async (t) => {
  for (const type of HUMAN_COMMANDS) t.equal(authorizeCaseCommand(type, actors.boss, noCase), 'not_found', type)
})

t.test('roles add up: a resident who is also staff acts as staff', async (t) => {
  const both = { id: 'resident-2', roles: ['resident', 'staff'] }
  t.equal(authorizeCaseCommand('acknowledge', both, theirCase), 'allow')
})

t.test('decide enforces access: ForbiddenError → 403, NotFoundError → 404', async (t) => {
  const decide = (actor: CommandActor, type: CaseCommandName) => () =>
    caseDecider.decide(commandFor(type, actor), theirCase, context(now))
  t.ok(thrown(decide(actors.technician, 'escalate')) instanceof ForbiddenError)
  t.ok(thrown(decide(actors.otherResident, 'note')) instanceof NotFoundError)
  t.ok(thrown(decide(actors.committee, 'note')) instanceof ForbiddenError)
  t.same(
    caseDecider.decide(commandFor('resolve', actors.technician), theirCase, context(now)).map((e) => e.type),
    ['CaseResolved'],
    'the assigned technician resolves',
  )
})

t.test('caseCommandRoles, which the HTTP edge checks before the body, is exactly what authorizeCaseCommand allows', async (t) => {
  // Every id that owns or is assigned something in the fixtures, every state, every body that access reads.
  const ids = [actors.resident.id, actors.technician.id, 'someone-else']
  const bodies = [undefined, { visibility: 'public' }, { visibility: 'internal' }]
  for (const type of CASE_COMMAND_TYPES) {
    const allowed = new Set<string>()
    for (const role of Role.options) {
      for (const id of ids) {
        for (const state of [theirCase, noCase]) {
          for (const data of bodies) {
            if (authorizeCaseCommand(type, { id, roles: [role] }, state, data) === 'allow') allowed.add(role)
          }
        }
      }
    }
    t.same([...caseCommandRoles(type)].sort(), [...allowed].sort(), `${type}: ${[...allowed].join(', ') || 'no role'}`)
  }
})
