import { RuleViolationError, StoreUnavailableError } from '@pc/contracts'
import t from 'tap'
import { z } from 'zod'
import { isUnavailable, problem, toProblem } from '../src/index.js'

t.test('problem() takes status and title from the contract table', async (t) => {
  t.same(problem('RULE_VIOLATED', { detail: 'no', rule: 'REVIEW_REQUIRED' }), {
    type: 'urn:property-cases:problem:rule-violated',
    title: 'Business rule violated',
    status: 422,
    code: 'RULE_VIOLATED',
    detail: 'no',
    rule: 'REVIEW_REQUIRED',
  })
})

t.test('a ZodError thrown by a handler is a 400 naming each field', async (t) => {
  const parsed = z.object({ a: z.string(), b: z.object({ c: z.number() }) }).safeParse({ a: 1, b: { c: 'x' } })
  t.notOk(parsed.success)
  const mapped = toProblem(parsed.error)
  t.equal(mapped.kind, 'client')
  t.equal(mapped.problem.status, 400)
  t.same(mapped.problem.errors?.map((e) => e.path), ['a', 'b.c'])
})

t.test('unknown keys of a strict object are named one by one', async (t) => {
  const schema = z.strictObject({ a: z.strictObject({ b: z.string() }) })
  const parsed = schema.safeParse({ a: { b: 'x', typo: 1 }, extra: true })
  t.notOk(parsed.success)
  t.same(toProblem(parsed.error).problem.errors?.map((e) => e.path).sort(), ['a.typo', 'extra'])
  // The same issue as Fastify's zod validator reports it (fastify-type-provider-zod's `params` keep the keys).
  const validation = Object.assign(new Error('body/a must not have additional properties'), {
    validationContext: 'body',
    validation: [{ instancePath: '/a', message: 'Unrecognized key: "typo"', params: { keys: ['typo'] } }],
  })
  t.same(toProblem(validation).problem.errors?.map((e) => e.path), ['a.typo'])
})

t.test('a rule violation without a field carries only the rule', async (t) => {
  const { problem: p } = toProblem(new RuleViolationError('REVIEW_REQUIRED', 'review the case before closing it'))
  t.match(p, { status: 422, code: 'RULE_VIOLATED', rule: 'REVIEW_REQUIRED', detail: 'review the case before closing it' })
  t.equal(p.errors, undefined)
})

t.test('infrastructure failures are 503, whatever wraps them', async (t) => {
  const sqlstate = (code: string) => Object.assign(new Error('db'), { code })
  const cases: Array<[string, unknown]> = [
    ['the store says so', new StoreUnavailableError('store down')],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['SQLSTATE 08006 connection failure', sqlstate('08006')],
    ['SQLSTATE 57P01 admin shutdown', sqlstate('57P01')],
    ['SQLSTATE 53300 too many connections', sqlstate('53300')],
    ['pg pool timeout', new Error('timeout exceeded when trying to connect')],
    ['pg connection lost', new Error('Connection terminated unexpectedly')],
    ['wrapped as cause', new Error('append failed', { cause: sqlstate('08001') })],
    ['inside an AggregateError', new AggregateError([new Error('x'), Object.assign(new Error('y'), { code: 'ETIMEDOUT' })])],
  ]
  for (const [label, error] of cases) {
    t.ok(isUnavailable(error), label)
    t.match(toProblem(error), { kind: 'unavailable', problem: { status: 503, code: 'UNAVAILABLE' } }, label)
  }
})

t.test('a query error is a bug, not an outage', async (t) => {
  const syntax = Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' })
  t.notOk(isUnavailable(syntax))
  const mapped = toProblem(syntax)
  t.equal(mapped.kind, 'internal')
  t.equal(mapped.problem.status, 500)
  t.notMatch(JSON.stringify(mapped.problem), /selec/, 'the message stays in the log')
})

t.test('anything thrown that is not an Error is still a 500', async (t) => {
  for (const thrown of ['a string', 42, null, undefined, { code: 'FST_NOPE' }]) {
    t.equal(toProblem(thrown).problem.status, 500, String(thrown))
  }
})
