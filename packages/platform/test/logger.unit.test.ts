import { Writable } from 'node:stream'
import t from 'tap'
import { createLogger, REDACTED } from '../src/index.js'

/** A logger writing JSON lines into an array. */
function capture() {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, logger: createLogger({ logLevel: 'info' }, { service: 'test', destination }) }
}

t.test('names, phones and contact details never reach a log line', async (t) => {
  const { lines, logger } = capture()
  logger.info(
    {
      name: 'Zhang San',
      phone: '13800138000',
      command: { type: 'ReportCase', reporter: { name: 'Li Si', phone: '13900139000' }, contact: 'wechat: lisi' },
      data: { parties: [{ name: 'Wang Wu', phone: '13700137000', role: 'complainant' }] },
      event: { data: { reporter: { name: 'Zhao Liu' } } },
    },
    'case reported',
  )
  const text = JSON.stringify(lines)
  for (const secret of ['Zhang San', 'Li Si', 'Wang Wu', 'Zhao Liu', '138001', '139001', '137001', 'wechat: lisi']) {
    t.notMatch(text, secret, `"${secret}" is not logged`)
  }
  const line = lines[0] as {
    name: string
    command: { reporter: string; type: string }
    data: { parties: Array<{ role: string }> }
    msg: string
    service: string
    level: string
  }
  t.equal(line.name, REDACTED)
  t.equal(line.command.reporter, REDACTED)
  t.equal(line.command.type, 'ReportCase', 'the rest of the object is kept')
  t.equal(line.data.parties[0]?.role, 'complainant')
  t.equal(line.msg, 'case reported')
  t.equal(line.service, 'test')
  t.equal(line.level, 'info', 'levels are names, not numbers')
})

t.test('credentials in request headers are redacted', async (t) => {
  const { lines, logger } = capture()
  logger.info({ req: { headers: { authorization: 'Bearer eyJhbGciOi.secret.sig', cookie: 'sid=1', accept: 'application/json' } } })
  const line = lines[0] as { req: { headers: Record<string, string> } }
  t.equal(line.req.headers.authorization, REDACTED)
  t.equal(line.req.headers.cookie, REDACTED)
  t.equal(line.req.headers.accept, 'application/json')
})
