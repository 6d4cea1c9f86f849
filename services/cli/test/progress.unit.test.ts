import t from 'tap'
import { startProgress, type ProgressSink } from '../src/progress/progress.js'

/** A sink that records what was written, and a clock the test moves by hand. */
function recorder(isTTY: boolean) {
  const writes: string[] = []
  const sink: ProgressSink = { isTTY, write: (text: string) => void writes.push(text) }
  let ms = 1_000
  return { sink, writes, now: () => ms, advance: (by: number) => void (ms += by) }
}

t.test('not a terminal: nothing while it runs, one summary line at the end', async (t) => {
  const r = recorder(false)
  const progress = startProgress({ label: 'export', sink: r.sink, now: r.now })
  for (let i = 1; i <= 5000; i++) {
    progress.update(i, 5000)
    r.advance(1)
  }
  t.same(r.writes, [], 'no progress lines in a log')
  progress.finish()
  progress.finish()
  t.same(r.writes, ['export: 5,000 events in 5.0 s (1,000 events/s)\n'], 'one summary, once')
})

t.test('a terminal: redrawn in place at most every 100 ms, with done / total, rate and ETA', async (t) => {
  const r = recorder(true)
  const progress = startProgress({ label: 'verify', sink: r.sink, now: r.now })
  // 2,000 updates over 2 s: ten a second at most, so about 20 redraws, not 2,000.
  for (let i = 1; i <= 2000; i++) {
    r.advance(1)
    progress.update(i, 4000)
  }
  t.ok(r.writes.length >= 19 && r.writes.length <= 21, `${r.writes.length} redraws in 2 s`)
  t.ok(r.writes.every((w) => w.startsWith('\r') && w.endsWith('\x1b[K') && !w.includes('\n')), 'each overwrites the line')
  t.match(r.writes.at(-1)?.replace('\x1b[K', '<clear>'), /^\rverify: 1,9\d\d \/ 4,000 events \(4\d %\), 1,000 events\/s, ETA 3 s<clear>$/)
  progress.finish()
  t.equal(r.writes.at(-1), '\rverify: 2,000 events in 2.0 s (1,000 events/s)\x1b[K\n', 'the summary replaces the line')
})

t.test('no ETA once the total is passed or when none is known', async (t) => {
  const r = recorder(true)
  const progress = startProgress({ label: 'audit', sink: r.sink, now: r.now })
  r.advance(1000)
  progress.update(150, 100)
  t.equal(r.writes.at(-1), '\raudit: 150 events, 150 events/s\x1b[K')
  r.advance(1000)
  progress.update(300)
  t.equal(r.writes.at(-1), '\raudit: 300 events, 150 events/s\x1b[K', 'an earlier total that was passed stays ignored')
})

t.test('quiet or without a sink: nothing at all', async (t) => {
  for (const isTTY of [true, false]) {
    const r = recorder(isTTY)
    const progress = startProgress({ label: 'rebuild', sink: r.sink, quiet: true, now: r.now })
    r.advance(500)
    progress.update(10, 20)
    progress.finish()
    t.same(r.writes, [], `quiet, ${isTTY ? 'terminal' : 'pipe'}`)
  }
  const silent = startProgress({ label: 'rebuild', sink: undefined })
  silent.update(1, 2)
  silent.finish()
  t.pass('no sink: nothing to write to, nothing thrown')
})
