import t from 'tap'
import { configOrReport, type CliIo } from '../src/commands/command.js'

/** A batch command is not a request: it keeps the connect timeout and drops the per-statement limits. */

t.test('configOrReport lifts the statement, query and idle-in-transaction limits for batch commands', async (t) => {
  const errors: string[] = []
  const io: CliIo = { env: { DATABASE_STATEMENT_TIMEOUT_MS: '2000', DATABASE_CONNECT_TIMEOUT_MS: '700' }, out: () => undefined, err: (line: string) => errors.push(line) }
  const config = configOrReport(io)
  t.same(config?.database, { statementTimeoutMs: 0, queryTimeoutMs: 0, connectTimeoutMs: 700, idleInTransactionTimeoutMs: 0 })
  t.ok(Object.isFrozen(config) && Object.isFrozen(config?.database))
  t.same(errors, [])
})
