import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jwtSecretFile, verifyToken } from '@pc/platform'
import t, { type Test } from 'tap'
import { runCli, type CliIo } from '../src/index.js'

function io(env: Record<string, string>): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { env, stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) }
}

async function dataDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-cli-token-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('token prints only a JWT signed with the secret generated into DATA_DIR', async (t) => {
  const dir = await dataDir(t)
  const run = io({ DATA_DIR: dir })
  const code = await runCli(['token', '--sub', 'staff-7', '--role', 'staff,manager', '--unit', '3-2-501', '--name', 'Wang'], run)
  t.equal(code, 0)
  t.same(run.stderr, [])
  t.equal(run.stdout.length, 1, 'one line: the token')
  const secret = (await readFile(jwtSecretFile(dir), 'utf8')).trim()
  t.ok(secret.length >= 32, 'a strong secret was generated')
  t.equal((await stat(jwtSecretFile(dir))).mode & 0o777, 0o600, 'readable by its owner only')
  const actor = await verifyToken(secret, run.stdout[0]!)
  t.same(actor, { id: 'staff-7', roles: ['staff', 'manager'], units: ['3-2-501'], name: 'Wang' })
})

t.test('token reuses the generated secret on the next call', async (t) => {
  const dir = await dataDir(t)
  await runCli(['token', '--sub', 'a', '--role', 'resident'], io({ DATA_DIR: dir }))
  const first = await readFile(jwtSecretFile(dir), 'utf8')
  const second = io({ DATA_DIR: dir })
  t.equal(await runCli(['token', '--sub', 'b', '--role', 'auditor', '--role', 'committee'], second), 0)
  t.equal(await readFile(jwtSecretFile(dir), 'utf8'), first, 'the secret did not change')
  t.same((await verifyToken(first.trim(), second.stdout[0]!)).roles, ['auditor', 'committee'])
})

t.test('token signs with JWT_SECRET when it is set', async (t) => {
  const dir = await dataDir(t)
  const secret = 'an-explicit-secret-of-at-least-32-chars'
  const run = io({ DATA_DIR: dir, JWT_SECRET: secret })
  t.equal(await runCli(['token', '--sub', 'u', '--role', 'admin', '--expires', '5m'], run), 0)
  t.equal((await verifyToken(secret, run.stdout[0]!)).id, 'u')
  await t.rejects(stat(jwtSecretFile(dir)), 'no secret file is written')
})

t.test('token refuses bad arguments with a usage error', async (t) => {
  const dir = await dataDir(t)
  const cases: Array<[string[], RegExp]> = [
    [['token', '--role', 'staff'], /--sub is required/],
    [['token', '--sub', 'u'], /at least one --role/],
    [['token', '--sub', 'u', '--role', 'janitor'], /unknown role "janitor"/],
    [['token', '--sub', 'u', '--role', 'staff', '--colour', 'red'], /Unknown option '--colour'/],
    [['token', '--sub', 'u', '--role', 'staff', '--expires', 'soon'], /^token: /],
  ]
  for (const [argv, message] of cases) {
    const run = io({ DATA_DIR: dir })
    t.equal(await runCli(argv, run), 2, argv.join(' '))
    t.match(run.stderr.join('\n'), message, argv.join(' '))
    t.same(run.stdout, [], 'no token printed')
  }
})

t.test('token with a bad configuration exits 1 with the one-line error', async (t) => {
  const run = io({ DATA_DIR: await dataDir(t), JWT_SECRET: 'short' })
  t.equal(await runCli(['token', '--sub', 'u', '--role', 'staff'], run), 1)
  t.same(run.stderr, ['configuration error: JWT_SECRET must be at least 32 characters (for example: openssl rand -base64 48) (got 5 characters)'])
})

t.test('an unknown command prints the help and exits 2; planned commands say so', async (t) => {
  const unknown = io({})
  t.equal(await runCli(['frobnicate'], unknown), 2)
  t.match(unknown.stderr.join('\n'), /unknown command "frobnicate"[\s\S]*commands:[\s\S]*token/)
  const planned = io({})
  t.equal(await runCli(['replay'], planned), 2)
  t.match(planned.stderr.join('\n'), /replay: not implemented yet/)
  const help = io({})
  t.equal(await runCli(['help'], help), 0)
  t.match(help.stdout.join('\n'), /start .*\n.*token/)
})
