import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@pc/postgres'
import { testDatabase } from '@pc/postgres/testing'
import t from 'tap'

/**
 * The README's "Trying it" block, extracted from README.md and run verbatim with bash against a started stack (its own
 * port and DATA_DIR, as a newcomer runs `pnpm start` in one shell and the block in another). Every request's status
 * is recorded through curl's own configuration file (`CURL_HOME/.curlrc`, a `--write-out` to stderr), so the block is
 * not changed to be checked.
 */

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const main = join(repo, 'services', 'cli', 'src', 'main.ts')
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

/** The first ```sh block after the "Trying it" heading. */
function walkthrough(readme: string): string {
  const section = readme.indexOf('\n## Trying it\n')
  if (section === -1) throw new Error('README.md has no "## Trying it" section')
  const open = readme.indexOf('\n```sh\n', section)
  const close = readme.indexOf('\n```\n', open + 1)
  if (open === -1 || close === -1) throw new Error('"Trying it" has no ```sh block')
  return readme.slice(open + '\n```sh\n'.length, close + 1)
}

t.test('README "Trying it" runs verbatim and every step answers as its comment says', async (t) => {
  const db = await testDatabase(t)
  const dir = await mkdtemp(join(tmpdir(), 'pc-readme-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  const port = await freePort()
  const base = { ...process.env }
  delete base.DATABASE_URL
  delete base.TEST_PG_URL

  const stack = spawn(process.execPath, ['--import', 'tsx', main, 'start'], {
    cwd: repo,
    env: { ...base, DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  stack.stdout.on('data', (chunk) => (log += chunk))
  stack.stderr.on('data', (chunk) => (log += chunk))
  const stopped = new Promise<number | null>((resolve) => stack.on('exit', (code) => resolve(code)))
  t.teardown(async () => {
    if (stack.exitCode === null && stack.signalCode === null) {
      stack.kill('SIGTERM')
      await stopped
    }
  })
  const until = Date.now() + 120_000
  while (!log.includes('listening on') && stack.exitCode === null && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (!log.includes('listening on')) throw new Error(`the stack did not start:\n${log}`)

  const curlHome = join(dir, 'curl')
  await mkdir(curlHome)
  await writeFile(join(curlHome, '.curlrc'), 'write-out = "%{stderr}STEP %{http_code} %{method} %{url_effective}\\n"\n')

  const block = walkthrough(await readFile(join(repo, 'README.md'), 'utf8'))
  // After the block, what it captured; the block itself is run exactly as printed.
  const script = `${block}\nprintf '\\nCAPTURED ID=%s POSITION=%s\\n' "$ID" "$POSITION"\n`
  const shell = spawn('bash', ['-c', script], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', HOME: dir, CURL_HOME: curlHome, DATA_DIR: dataDir, API: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  shell.stdout.on('data', (chunk) => (out += chunk))
  shell.stderr.on('data', (chunk) => (err += chunk))
  const code = await new Promise<number | null>((resolve) => shell.on('close', resolve))
  t.equal(code, 0, 'the block runs to its end')

  const captured = /CAPTURED ID=(\S*) POSITION=(\S*)/.exec(out)
  const id = captured?.[1] ?? ''
  const position = captured?.[2] ?? ''
  t.match(id, new RegExp(`^${UUID}$`), '$ID is the reported case')
  t.match(position, /^\d+$/, '$POSITION is a decimal position')

  const steps = err
    .split('\n')
    .filter((line) => line.startsWith('STEP '))
    .map((line) => line.slice('STEP '.length).replace(`http://127.0.0.1:${port}`, ''))
  t.same(
    steps,
    [
      '200 GET /health/ready',
      '200 GET /docs/json',
      '200 GET /metrics',
      '201 POST /v1/cases',
      `200 POST /v1/cases/${id}/assign`,
      `409 POST /v1/cases/${id}/resolve`,
      `200 POST /v1/cases/${id}/resolve`,
      `200 GET /v1/cases/${id}/timeline?waitFor=${position}`,
    ],
    `every request answered as documented\n${err}`,
  )

  t.ok(out.startsWith('{"status":"ready","checks":{"database":"up","eventStore":"up"}}'), 'ready, as the comment shows')
  t.match(out, /"openapi":"3\.1\.0"/, 'the OpenAPI document')
  t.match(out, /^http_requests_total\{/m, 'Prometheus text')
  const lines = out.split('\n')
  const answer = (revision: string) =>
    lines.find((line) => new RegExp(`^\\{"id":"${id}","revision":"${revision}","position":"\\d+"\\}$`).test(line))
  t.ok(answer('0'), 'the report answers revision 0, echoed')
  t.ok(answer('2'), 'the assignment answers revision 2 (acknowledged and assigned), echoed')
  t.match(out, /"status":409,"code":"WRONG_EXPECTED_REVISION"/, 'the stale If-Match is refused')
  const resolved = answer('3')
  t.ok(resolved, 'the resolution answers revision 3, echoed')
  t.equal(resolved && (JSON.parse(resolved) as { position: string }).position, position, '$POSITION is the resolution\'s')

  const timelineText = lines.find((line) => line.startsWith('{"caseId"'))
  const timeline = JSON.parse(timelineText ?? '{}') as { entries?: Array<{ type: string }> }
  t.same(
    timeline.entries?.map((entry) => entry.type),
    ['CaseReported', 'CaseAcknowledged', 'CaseAssigned', 'CaseResolved'],
    'the resident reads every step back, the resolution included',
  )
})
