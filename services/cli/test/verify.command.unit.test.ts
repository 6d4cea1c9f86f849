import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  MemoryMerkleTree,
  ZERO_HASH,
  exportFiles,
  exportPublicKeyPem,
  generateSigningKeyPair,
  leafInputOfEventHash,
  sealEvents,
  signTreeHead,
  toHex,
  treeHead,
} from '@pc/ledger'
import type { CliIo } from '../src/commands/command.js'
import { verifyCommand } from '../src/commands/verify.command.js'

/** `cli verify`'s command line; what it checks is `verifyExport`'s test, in `@pc/ledger`. */

/** A whole-log export of `count` events in one stream with a head over all of them. */
async function writeExport(t: Test, count: number): Promise<string> {
  return (await writeExportWith(t, count)).out
}

async function writeExportWith(t: Test, count: number) {
  const dir = await mkdtemp(join(tmpdir(), 'pc-verify-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'log.jsonl')
  const keys = generateSigningKeyPair()
  const unsealed = Array.from({ length: count }, (_, i) => ({
    eventId: randomUUID(),
    type: 'NoteAdded',
    schemaVersion: 1,
    data: { text: `note ${i}` },
    metadata: { actor: { id: 'u-1', roles: ['staff'] }, occurredAt: '2026-03-02T09:30:00.000Z', correlationId: randomUUID(), causationId: null },
  }))
  const sealed = sealEvents('case-1', 0n, ZERO_HASH, unsealed)
  const tree = new MemoryMerkleTree()
  const lines = sealed.map((e, i) => {
    tree.append(leafInputOfEventHash(e.metadata.hash))
    return JSON.stringify({ ...e, streamId: 'case-1', revision: String(i), position: String(i), recordedAt: '2026-03-02T09:30:01.000Z' })
  })
  const files = exportFiles(out)
  await writeFile(out, `${lines.join('\n')}\n`)
  const size = BigInt(count)
  await writeFile(files.head, JSON.stringify(signTreeHead(treeHead(size, tree.root(size), '2026-03-02T09:32:00.000Z'), keys.privateKey)))
  await writeFile(files.publicKey, exportPublicKeyPem(keys.publicKey))
  return { out, dir, keys, tree }
}

function io(isTTY: boolean) {
  const out: string[] = []
  const err: string[] = []
  const progress: string[] = []
  const cli: CliIo = {
    env: {},
    out: (l) => void out.push(l),
    err: (l) => void err.push(l),
    progress: { isTTY, write: (text: string) => void progress.push(text) },
  }
  return { cli, out, err, progress }
}

t.test('usage errors and a missing file', async (t) => {
  const { cli, err } = io(false)
  t.equal(await verifyCommand.run([], cli), 2, 'no --in: usage error')
  t.equal(await verifyCommand.run(['--in', 'x', '--bogus'], cli), 2, 'unknown option: usage error')
  t.equal(await verifyCommand.run(['--in', join(tmpdir(), `${randomUUID()}.jsonl`)], cli), 1, 'a missing file fails')
  t.match(err.at(-1), /no such file/)
})

t.test('not a terminal: the result on stdout, one progress summary on stderr', async (t) => {
  const file = await writeExport(t, 25)
  const { cli, out, err, progress } = io(false)
  t.equal(await verifyCommand.run(['--in', file], cli), 0)
  t.equal(out.length, 1, 'one result line')
  t.match(out[0], /^verified .*25 events in 1 streams, hash chains intact/)
  t.same(err, [])
  t.equal(progress.length, 1, 'one progress line')
  t.match(progress[0], /^verify: 25 events in \d+\.\d s \([\d,]+ events\/s\)\n$/)
})

t.test('a terminal: the progress line is redrawn, then replaced by the summary', async (t) => {
  const file = await writeExport(t, 25)
  const { cli, progress } = io(true)
  t.equal(await verifyCommand.run(['--in', file], cli), 0)
  t.ok(progress.length >= 2, 'a progress line, then the summary')
  const shown = progress.map((text) => text.replaceAll('\x1b[K', '<clear>'))
  t.match(shown[0], /^\rverify: 25 \/ 25 events \(100 %\), [\d,]+ events\/s, ETA 0 s<clear>$/)
  t.match(shown.at(-1), /^\rverify: 25 events in \d+\.\d s .*<clear>\n$/)
})

t.test('--quiet: no progress and no summary, the result still', async (t) => {
  const file = await writeExport(t, 25)
  for (const isTTY of [true, false]) {
    const { cli, out, progress } = io(isTTY)
    t.equal(await verifyCommand.run(['--in', file, '--quiet'], cli), 0)
    t.same(progress, [], `nothing on the progress sink (${isTTY ? 'terminal' : 'pipe'})`)
    t.equal(out.length, 1, 'the result line')
  }
})

t.test('--previous-head: a later head that extends it passes; the command line refuses a rollback', async (t) => {
  const { out, dir, keys, tree } = await writeExportWith(t, 25)
  const previous = join(dir, 'previous.json')
  const proof = join(dir, 'consistency.json')
  await writeFile(previous, JSON.stringify(signTreeHead(treeHead(10n, tree.root(10n), '2026-03-02T09:31:00.000Z'), keys.privateKey)))
  await writeFile(proof, JSON.stringify({ from: '10', to: '25', proof: tree.consistencyProof(10n, 25n).map(toHex) }))
  let run = io(false)
  t.equal(await verifyCommand.run(['--in', out, '--previous-head', previous, '--consistency-proof', proof, '--origin', 'property-cases'], run.cli), 0, run.err.join('\n'))
  t.match(run.out[0], /extends the previous head of tree size 10 \(consistency proof verified\)/)

  await writeFile(previous, JSON.stringify(signTreeHead(treeHead(25n, tree.root(25n), '2026-03-02T09:40:00.000Z'), keys.privateKey)))
  run = io(false)
  t.equal(await verifyCommand.run(['--in', out, '--previous-head', previous], run.cli), 1, 'an older head than one held')
  t.match(run.err[0], /^FAILED .*: rollback: the head is dated .*, not later than the previous head/)

  run = io(false)
  t.equal(await verifyCommand.run(['--in', out, '--consistency-proof', proof], run.cli), 2, 'a proof without a previous head')
})
