#!/usr/bin/env node
/**
 * `pnpm test:stress [--runs N] [--repeat N] [--load N] [--no-focus]`: the suite on a machine kept busy, to find
 * tests that depend on timing before CI does.
 *
 * 1. Starts a load generator: `--load` busy processes (default: one per core), each spinning at normal priority
 *    so the tests compete for every core, as they do on a shared CI machine.
 * 2. Runs the whole suite (`node test/run-tests.mjs`, exactly what `pnpm test` runs) `--runs` times (default 3).
 * 3. Unless `--no-focus`, runs the files most exposed to timing — the event stores, the projector, the end-to-end
 *    files — `--repeat` times (default 10) as one `run-tests.mjs <files…>` each.
 * 4. Stops the load and prints each run (passed, failed, seconds), every failing file with the run it failed in,
 *    and the ten slowest files (their slowest time over the runs). Last line: `N runs, N failed runs`. Exits
 *    non-zero when any run failed.
 */
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readdir } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '10' },
    load: { type: 'string', default: String(availableParallelism()) },
    'no-focus': { type: 'boolean', default: false },
  },
  strict: true,
})
const count = (name) => {
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 0) {
    console.error(`test:stress: --${name} must be a whole number (got ${values[name]})`)
    process.exit(2)
  }
  return n
}
const runs = count('runs')
const repeat = values['no-focus'] ? 0 : count('repeat')
const load = count('load')

/** The files whose tests wait on other processes, connections and timers. */
async function focusFiles() {
  const inDir = async (dir, keep) =>
    (await readdir(join(root, dir)).catch(() => [])).filter(keep).map((name) => `${dir}/${name}`)
  return [
    ...(await inDir('packages/event-store/test', (f) => f.endsWith('.test.ts'))),
    ...(await inDir('services/projector/test', (f) => f.endsWith('.test.ts'))),
    ...(await inDir('test', (f) => f.endsWith('.e2e.test.ts'))),
  ].sort()
}

function startLoad(n) {
  const spin = 'for (;;) { Math.sqrt(Math.random()) }'
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }))
}

/** One `run-tests.mjs` run: its counts from the last line, its files' outcomes and times from tap's top level. */
function runSuite(label, files) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, [join(root, 'test/run-tests.mjs'), ...files], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    // The whole output of every run is kept, so a failure under load can be read afterwards.
    const logFile = join(logDir, `${label.replace(/\W+/g, '-')}.log`)
    const log = createWriteStream(logFile)
    let tail = ''
    const outcomes = []
    const failedChecks = []
    let pending = ''
    const take = (chunk) => {
      log.write(chunk)
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()
      for (const line of lines) {
        tail = line.trim() === '' ? tail : line
        const file = /^(not )?ok \d+ - (\S+\.test\.ts)\b.*?(?:# time=([\d.]+)ms)?$/.exec(line)
        if (file) outcomes.push({ file: file[2], ok: !file[1], ms: Number(file[3] ?? 0) })
        const check = /^not ok - (typecheck|lint|tap exited)\b/.exec(line)
        if (check) failedChecks.push(line.slice('not ok - '.length))
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('close', (code) => {
      take('\n')
      log.end()
      const summary = /^(\d+) passed, (\d+) failed$/.exec(tail.trim())
      resolve({
        label,
        code: code ?? 1,
        passed: summary ? Number(summary[1]) : 0,
        failed: summary ? Number(summary[2]) : 0,
        seconds: Math.round((Date.now() - started) / 1000),
        outcomes,
        failedChecks,
        lastLine: tail.trim(),
        logFile,
      })
    })
  })
}

const logDir = await mkdtemp(join(tmpdir(), 'pc-test-stress-'))
const workers = startLoad(load)
const stopLoad = () => workers.forEach((w) => w.kill('SIGKILL'))
process.on('exit', stopLoad)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))
console.log(`test:stress: ${load} busy process${load === 1 ? '' : 'es'} on ${availableParallelism()} cores; ${runs} full run${runs === 1 ? '' : 's'}, then ${repeat} focused; logs in ${logDir}`)

/** One line per run as it ends, with the files that failed in it. */
function report(result, what = '') {
  const failed = result.outcomes.filter((o) => !o.ok).map((o) => o.file)
  console.log(`${result.label}${what}: ${result.passed} passed, ${result.failed} failed, ${result.seconds} s${result.code === 0 ? '' : ` (exit ${result.code})`}`)
  for (const file of [...failed, ...result.failedChecks]) console.log(`  failed: ${file}`)
}

const results = []
for (let i = 1; i <= runs; i++) {
  const result = await runSuite(`full ${i}/${runs}`, [])
  results.push(result)
  report(result)
}
const focus = repeat > 0 ? await focusFiles() : []
for (let i = 1; i <= repeat; i++) {
  const result = await runSuite(`focused ${i}/${repeat}`, focus)
  results.push(result)
  report(result, ` (${focus.length} files)`)
}
stopLoad()

const failures = results.flatMap((r) => [
  ...r.outcomes.filter((o) => !o.ok).map((o) => `${r.label}: ${o.file}`),
  ...r.failedChecks.map((c) => `${r.label}: ${c}`),
  ...(r.code !== 0 && r.failed === 0 && !r.outcomes.some((o) => !o.ok) ? [`${r.label}: exit ${r.code} (${r.lastLine})`] : []),
])
console.log('')
console.log(failures.length === 0 ? 'failures: none' : `failures:\n${failures.map((f) => `  ${f}`).join('\n')}`)
const slowest = new Map()
for (const { file, ms } of results.flatMap((r) => r.outcomes)) slowest.set(file, Math.max(ms, slowest.get(file) ?? 0))
console.log('slowest files (slowest run):')
for (const [file, ms] of [...slowest].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}`)
const failedRuns = results.filter((r) => r.code !== 0).length
console.log(`${results.length} runs, ${failedRuns} failed runs`)
process.exitCode = failedRuns === 0 ? 0 : 1
