import { DEFAULT_DISCLOSURE_SCHEDULE } from '@pc/contracts'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/index.js'

/** The disclosure settings (issue 6): `DISCLOSURE_ADVANCE_NOTICE_DAYS` and the estate's `DISCLOSURE_SCHEDULE`. */

function errorLine(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('defaults: 7 days of notice; public revenue quarterly and the financial statement yearly', async (t) => {
  const config = loadConfig({})
  t.equal(config.disclosureAdvanceNoticeDays, 7)
  t.same(config.disclosureSchedule, DEFAULT_DISCLOSURE_SCHEDULE)
  t.same(
    config.disclosureSchedule.map((e) => [e.kind, e.every]),
    [
      ['public_revenue', 'quarter'],
      ['financial_statement', 'year'],
    ],
  )
})

t.test('the schedule is a JSON array of entries, defaults filled in', async (t) => {
  const config = loadConfig({
    DISCLOSURE_ADVANCE_NOTICE_DAYS: '14',
    DISCLOSURE_SCHEDULE: JSON.stringify([
      { kind: 'public_revenue', every: 'half_year', dueWithinDays: 15, since: '2025-01-01' },
      { id: 'maintenance-fund', kind: 'financial_statement', every: 'half_year' },
    ]),
  })
  t.equal(config.disclosureAdvanceNoticeDays, 14)
  t.same(config.disclosureSchedule, [
    { kind: 'public_revenue', every: 'half_year', dueWithinDays: 15, since: '2025-01-01' },
    { id: 'maintenance-fund', kind: 'financial_statement', every: 'half_year', dueWithinDays: 30 },
  ])
  t.same(loadConfig({ DISCLOSURE_SCHEDULE: '[]' }).disclosureSchedule, [], 'an estate may schedule nothing')
})

t.test('a bad value stops start-up with one line naming the variable and the member', async (t) => {
  t.equal(errorLine({ DISCLOSURE_SCHEDULE: '{not json' }), 'configuration error: DISCLOSURE_SCHEDULE must be JSON (got "{not json")')
  t.match(errorLine({ DISCLOSURE_SCHEDULE: '[{"kind":"public_revenue","every":"fortnight"}]' }), /^configuration error: DISCLOSURE_SCHEDULE 0\.every: /)
  t.match(errorLine({ DISCLOSURE_SCHEDULE: '{"kind":"public_revenue"}' }), /^configuration error: DISCLOSURE_SCHEDULE /)
  t.equal(errorLine({ DISCLOSURE_ADVANCE_NOTICE_DAYS: '-1' }), 'configuration error: DISCLOSURE_ADVANCE_NOTICE_DAYS must be an integer 0-365 (got "-1")')
  t.notMatch(errorLine({ DISCLOSURE_SCHEDULE: '[{"kind":"x","every":"y"}]' }), /\n/, 'one line')
})
