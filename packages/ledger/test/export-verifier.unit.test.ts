import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  MemoryMerkleTree,
  ZERO_HASH,
  exportPublicKeyPem,
  generateSigningKeyPair,
  leafInputOfEventHash,
  sealEvents,
  signTreeHead,
  toHex,
  treeHead,
  keyIdOf,
  type SignedTreeHead,
  type SigningKeyPair,
} from '../src/index.js'
import { exportFiles, verifyExport, type ExportedLeaf, type ExportedProof } from '../src/index.js'

/** One line of an export, as `cli export` writes it. */
interface ExportedEvent {
  eventId: string
  streamId: string
  revision: string
  position: string
  type: string
  schemaVersion: number
  data: Record<string, unknown>
  metadata: Record<string, unknown> & { hash: string; prevHash: string }
  recordedAt: string
}

/**
 * `verifyExport` (what `cli verify` runs) on hand-made exports: no server, no database. The files are built the way `export` writes them —
 * sealed events, a tree over them, a signed head — and then spoiled one way at a time.
 */

interface Built {
  dir: string
  out: string
  events: ExportedEvent[]
  tree: MemoryMerkleTree
  keys: SigningKeyPair
}

function sealed(
  streamId: string,
  revision: bigint,
  prevHash: string,
  position: bigint,
  text: string,
  event: { type: string; data: ExportedEvent['data']; eventId?: string } = { type: 'NoteAdded', data: { text, amountFen: 1200 } },
): ExportedEvent {
  const [e] = sealEvents(streamId, revision, prevHash, [
    {
      eventId: event.eventId ?? randomUUID(),
      type: event.type,
      schemaVersion: 1,
      data: event.data,
      metadata: { actor: { id: 'u-1', roles: ['staff'] }, occurredAt: '2026-03-02T09:30:00.000Z', correlationId: randomUUID(), causationId: null },
    },
  ])
  return {
    eventId: e!.eventId,
    streamId,
    revision: revision.toString(),
    position: position.toString(),
    type: e!.type,
    schemaVersion: 1,
    data: e!.data,
    metadata: e!.metadata as unknown as ExportedEvent['metadata'],
    recordedAt: '2026-03-02T09:30:01.000Z',
  }
}

/** 12 events over 3 streams, a head at 12 (and one at 8 inside the log's ledger-checkpoints stream). */
async function build(t: Test, options: { headAt?: number } = {}): Promise<Built> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-verify-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const out = join(dir, 'log.jsonl')
  const keys = generateSigningKeyPair()
  const events: ExportedEvent[] = []
  const last = new Map<string, { revision: bigint; hash: string }>()
  const tree = new MemoryMerkleTree()
  const append = (streamId: string, make: (revision: bigint, prev: string, position: bigint) => ExportedEvent) => {
    const previous = last.get(streamId)
    const revision = previous ? previous.revision + 1n : 0n
    const e = make(revision, previous?.hash ?? ZERO_HASH, BigInt(events.length))
    events.push(e)
    last.set(streamId, { revision, hash: e.metadata.hash })
    if (streamId !== 'ledger-checkpoints') tree.append(leafInputOfEventHash(e.metadata.hash))
  }
  for (let i = 0; i < 12; i++) {
    const streamId = ['case-1', 'case-2', 'disclosure-3'][i % 3]!
    append(streamId, (revision, prev, position) => sealed(streamId, revision, prev, position, `entry ${i}`))
    if (tree.size === 8n) {
      // A head in the log itself, as the head worker publishes it.
      const head8 = signTreeHead(treeHead(8n, tree.root(8n), '2026-03-02T09:31:00.000Z'), keys.privateKey)
      append('ledger-checkpoints', (revision, prev, position) =>
        sealed('ledger-checkpoints', revision, prev, position, '', { type: 'TreeHeadSigned', data: { ...head8 } }),
      )
    }
  }
  const headAt = BigInt(options.headAt ?? 12)
  const head = signTreeHead(treeHead(headAt, tree.root(headAt), '2026-03-02T09:32:00.000Z'), keys.privateKey)
  const files = exportFiles(out)
  await writeFile(out, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  await writeFile(files.head, JSON.stringify(head))
  await writeFile(files.publicKey, exportPublicKeyPem(keys.publicKey))
  const leaves: ExportedLeaf[] = events
    .filter((e) => e.streamId !== 'ledger-checkpoints')
    .slice(0, Number(headAt))
    .map((e, i) => ({ leafIndex: String(i), eventId: e.eventId, streamId: e.streamId, revision: e.revision, position: e.position, leafHash: toHex(tree.leafHash(BigInt(i))) }))
  await writeFile(files.leaves, leaves.map((l) => JSON.stringify(l)).join('\n') + '\n')
  return { dir, out, events, tree, keys }
}

async function rewrite(file: string, change: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n')
  await writeFile(file, change(lines).join('\n') + '\n')
}

t.test('a faithful whole-log export verifies, heads in the log included', async (t) => {
  const b = await build(t)
  const result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /13 events in 4 streams, hash chains intact; Merkle tree of 12 leaves rebuilt; signed head of tree size 12/)
  t.match(result.summary, /1 more signed head in ledger-checkpoints match/)
  t.match(result.summary, /12 leaves match the ledger's record/)
  t.equal(result.events, 13, 'every line was checked')
})

t.test('progress is told the events checked against the lines of the file', async (t) => {
  const b = await build(t)
  const calls: Array<[number, number]> = []
  await verifyExport({ in: b.out, onProgress: (events, total) => void calls.push([events, total]) })
  t.ok(calls.length > 0, 'told at least once')
  t.same(calls.at(-1), [13, 13], 'ends at every event of the 13-line file')
  t.ok(calls.every(([events], i) => i === 0 || events >= calls[i - 1]![0]), 'never goes back')
})

t.test('without the leaves file the head alone decides; a head beyond the log fails', async (t) => {
  const b = await build(t)
  await rm(exportFiles(b.out).leaves)
  t.equal((await verifyExport({ in: b.out })).exitCode, 0)
  // Drop the last event: the head (size 12) now covers more than the log holds.
  const lastId = b.events.at(-1)!.eventId
  await rewrite(b.out, (lines) => lines.slice(0, -1))
  const result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head of tree size 12 .* covers more events than the log's 11 leaves: events were deleted/)
  t.notOk(result.summary.includes(lastId), 'no leaves file: the head cannot say which event, only that one is gone')
})

t.test('each kind of damage fails, naming the event', async (t) => {
  await t.test('data changed', async (t) => {
    const b = await build(t)
    const victim = b.events[4]!
    await rewrite(b.out, (lines) => lines.map((l, i) => (i === 4 ? l.replace('"amountFen":1200', '"amountFen":1201') : l)))
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, `event ${victim.eventId} (${victim.streamId}@${victim.revision}, position 4): hash_mismatch`)
  })
  await t.test('two lines swapped (chains intact)', async (t) => {
    const b = await build(t)
    // Lines 5 and 6 (leaves 5 and 6) are in different streams with nothing of either between them.
    await rewrite(b.out, (lines) => [...lines.slice(0, 5), lines[6]!, lines[5]!, ...lines.slice(7)])
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, `event ${b.events[6]!.eventId} (${b.events[6]!.streamId}@${b.events[6]!.revision}, position 6) was moved: it is leaf 5`)
  })
  await t.test('an event removed', async (t) => {
    const b = await build(t)
    const victim = b.events[10]!
    await rewrite(b.out, (lines) => lines.filter((_, i) => i !== 10))
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, `event ${victim.eventId} (${victim.streamId}@${victim.revision}, position 10) was deleted`)
  })
  await t.test('an event re-hashed and its chain rebuilt', async (t) => {
    const b = await build(t)
    // The last event of case-2, changed and sealed again: its own chain is perfect, only the tree knows.
    const victim = b.events.filter((e) => e.streamId === 'case-2').at(-1)!
    const index = b.events.indexOf(victim)
    const forged = sealed('case-2', BigInt(victim.revision), victim.metadata.prevHash, BigInt(victim.position), '', {
      eventId: victim.eventId,
      type: 'NoteAdded',
      data: { text: 'entry changed', amountFen: 120000 },
    })
    await rewrite(b.out, (lines) => lines.map((l, i) => (i === index ? JSON.stringify(forged) : l)))
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, `event ${victim.eventId} (case-2@${victim.revision}, position ${victim.position}) was altered and re-hashed`)
  })
  await t.test('a line that is not an event', async (t) => {
    const b = await build(t)
    await rewrite(b.out, (lines) => lines.map((l, i) => (i === 2 ? l.replace(/"revision":"\d+"/, '"revision":2') : l)))
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, /line 3: not an exported event \(revision or position is not a decimal string\)/)
  })
})

t.test('the head must be genuine', async (t) => {
  const b = await build(t)
  const files = exportFiles(b.out)
  const head = JSON.parse(await readFile(files.head, 'utf8')) as Record<string, string>

  await writeFile(files.head, JSON.stringify({ ...head, treeSize: '11' }))
  let result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head .*: signature does not match the head/, 'an edited head')

  await writeFile(files.head, JSON.stringify(head))
  const other = join(b.dir, 'other.pem')
  await writeFile(other, exportPublicKeyPem(generateSigningKeyPair().publicKey))
  result = await verifyExport({ in: b.out, publicKey: other })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed by key [0-9a-f]{16}, which is not among the keys given \([0-9a-f]{16}\)/, 'another key')

  // A head signed by the right key over a different tree: a rewritten history with a genuine-looking head.
  const fake = new MemoryMerkleTree()
  for (let i = 0; i < 12; i++) fake.append(new Uint8Array(32).fill(i))
  await writeFile(files.head, JSON.stringify(signTreeHead(treeHead(12n, fake.root(), new Date()), b.keys.privateKey)))
  result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head of tree size 12 .* but the log and the ledger's record both give [0-9a-f]{64}: history .* was rewritten in both, or the head is not from this ledger/, 'a head over another tree')

  await rm(files.head)
  result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /no signed tree head to check against/, 'no head: nothing vouches for the log')
})

t.test('stream exports are checked with inclusion proofs', async (t) => {
  const b = await build(t)
  const stream = b.events.filter((e) => e.streamId === 'case-1')
  const leafOf = new Map(b.events.filter((e) => e.streamId !== 'ledger-checkpoints').map((e, i) => [e.eventId, BigInt(i)]))
  const out = join(b.dir, 'case-1.jsonl')
  const files = exportFiles(out)
  const proofs: ExportedProof[] = stream.map((e) => {
    const leafIndex = leafOf.get(e.eventId)!
    return { eventId: e.eventId, leafIndex: String(leafIndex), treeSize: '12', leafHash: toHex(b.tree.leafHash(leafIndex)), auditPath: b.tree.inclusionProof(leafIndex, 12n).map(toHex) }
  })
  const write = async (events: ExportedEvent[], ps: ExportedProof[]) => {
    await writeFile(out, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
    await writeFile(files.proofs, ps.map((p) => JSON.stringify(p)).join('\n') + '\n')
  }
  await writeFile(files.head, await readFile(exportFiles(b.out).head))
  await writeFile(files.publicKey, exportPublicKeyPem(b.keys.publicKey))

  await write(stream, proofs)
  let result = await verifyExport({ in: out })
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /4 events, hash chain intact; 4 proven included in the signed tree of size 12/)

  const flipped = proofs.map((p, i) => (i === 1 ? { ...p, auditPath: p.auditPath.map((h, j) => (j === 0 ? (h[0] === '0' ? '1' : '0') + h.slice(1) : h)) } : p))
  await write(stream, flipped)
  result = await verifyExport({ in: out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, `event ${stream[1]!.eventId} (case-1@1) is not leaf ${proofs[1]!.leafIndex} of the signed tree`)

  await write(stream, proofs.slice(0, 2))
  result = await verifyExport({ in: out })
  t.equal(result.exitCode, 0, 'events after the last proof are newer than the head')
  t.match(result.summary, /2 events are newer than the head/)

  // case-1@1 has no proof while later events of the stream do: the ledger never had it (inserted afterwards).
  await write(stream, [proofs[0]!, proofs[2]!, proofs[3]!])
  result = await verifyExport({ in: out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, `event ${stream[1]!.eventId} (case-1@1) is not in the signed tree, though later events of its stream are`)
})

t.test('lines are read as readline reads them: CRLF, blank lines, no final newline, escaped heads', async (t) => {
  await t.test('CRLF line ends and blank lines verify, heads in the log included', async (t) => {
    const b = await build(t)
    const text = await readFile(b.out, 'utf8')
    await writeFile(b.out, '\r\n' + text.trimEnd().split('\n').join('\r\n\r\n'))
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 0, result.summary)
    t.match(result.summary, /1 more signed head in ledger-checkpoints match/)
  })

  await t.test('a lone CR ends a line too, and line numbers count it', async (t) => {
    const b = await build(t)
    await rewrite(b.out, (lines) => [lines[0]!, `${lines[1]!}\r${lines[2]!}`, '{"not": "an event"}'])
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, /line 4: not an exported event/)
  })

  await t.test('a head whose type is \\u-escaped is still found and checked', async (t) => {
    const b = await build(t)
    await rewrite(b.out, (lines) => lines.map((l) => l.replace('"type":"TreeHeadSigned"', '"type":"TreeHead\\u0053igned"')))
    const good = await verifyExport({ in: b.out })
    t.equal(good.exitCode, 0, good.summary)
    t.match(good.summary, /1 more signed head in ledger-checkpoints match/)
    // Spoil the escaped head's root: the first pass must have found it for this to be noticed.
    await rewrite(b.out, (lines) =>
      lines.map((l) => (l.includes('TreeHead\\u0053igned') ? l.replace(/"rootHash":"[0-9a-f]/, '"rootHash":"x') : l)),
    )
    const bad = await verifyExport({ in: b.out })
    t.equal(bad.exitCode, 1, bad.summary)
    t.match(bad.summary, /^FAILED .*: signed head of tree size 8 \(ledger-checkpoints@0, line 9\)/)
  })

  await t.test('a malformed line is reported with its number', async (t) => {
    const b = await build(t)
    await rewrite(b.out, (lines) => [...lines.slice(0, 5), '{"eventId": 1', ...lines.slice(5)])
    const result = await verifyExport({ in: b.out })
    t.equal(result.exitCode, 1)
    t.match(result.summary, /line 6: not JSON/)
  })
})

/** The head file of an export, parsed. */
async function headOf(out: string): Promise<SignedTreeHead> {
  return JSON.parse(await readFile(exportFiles(out).head, 'utf8')) as SignedTreeHead
}

t.test('keys that rotate: old heads in the log verify with the old key from the key list, inside its period', async (t) => {
  const b = await build(t)
  const files = exportFiles(b.out)
  // The head at 8 (in the log) was signed by the old key; a rotation then made a new key sign the head at 12.
  const next = generateSigningKeyPair()
  const head12 = signTreeHead(treeHead(12n, b.tree.root(12n), '2026-03-02T09:32:00.000Z'), next.privateKey)
  await writeFile(files.head, JSON.stringify(head12))
  const list = (oldUntil: string | null) => ({
    keys: [
      { keyId: keyIdOf(b.keys.publicKey), publicKeyPem: exportPublicKeyPem(b.keys.publicKey), validFrom: '2026-03-01T00:00:00.000Z', validUntil: oldUntil },
      { keyId: keyIdOf(next.publicKey), publicKeyPem: exportPublicKeyPem(next.publicKey), validFrom: oldUntil ?? '2026-03-02T09:31:30.000Z', validUntil: null },
    ],
  })
  await rm(files.publicKey)
  await writeFile(files.keys, JSON.stringify(list('2026-03-02T09:31:30.000Z')))
  let result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /signed head of tree size 12 \(key [0-9a-f]{16}\) matches root [0-9a-f]{16}… \(2 keys given\); 1 more signed head in ledger-checkpoints match/)

  // With only the new key, the old head in the log cannot be checked (it is not a finding: it is said).
  const newPem = join(b.dir, 'new.pem')
  await writeFile(newPem, exportPublicKeyPem(next.publicKey))
  result = await verifyExport({ in: b.out, publicKey: newPem })
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /1 heads by other keys not checked/)

  // The old key was retired before the head at 8 was dated: that head is not the ledger's, whatever its signature.
  await writeFile(files.keys, JSON.stringify(list('2026-03-02T09:30:30.000Z')))
  result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head of tree size 8 \(ledger-checkpoints@0, line \d+\): dated 2026-03-02T09:31:00.000Z, after its key [0-9a-f]{16} was retired at 2026-03-02T09:30:30.000Z/)

  // A key list whose id does not name its key is refused outright.
  const forged = list(null)
  forged.keys[0]!.keyId = keyIdOf(next.publicKey)
  await writeFile(files.keys, JSON.stringify(forged))
  result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /keys .*: entry 0 is named [0-9a-f]{16} but its key is [0-9a-f]{16}/)
})

t.test('the origin: the summary names the log; a head of another deployment with the same key fails', async (t) => {
  const b = await build(t)
  let result = await verifyExport({ in: b.out })
  t.match(result.summary, /; log origin "property-cases"$/)
  result = await verifyExport({ in: b.out, origin: 'cases.estate-a.example' })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head .*: head belongs to the log "property-cases", not "cases.estate-a.example"/)

  // Another deployment signing with the same key: a genuine signature over the same tree, but not our log.
  const files = exportFiles(b.out)
  await writeFile(files.head, JSON.stringify(signTreeHead(treeHead(12n, b.tree.root(12n), '2026-03-02T09:33:00.000Z', 'staging'), b.keys.privateKey)))
  result = await verifyExport({ in: b.out, origin: 'property-cases' })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /head belongs to the log "staging", not "property-cases"/)
  // Unpinned, the head's own origin is taken, and then the head at 8 in the log is of another log.
  result = await verifyExport({ in: b.out })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /signed head of tree size 8 .*: head belongs to the log "property-cases", not "staging"/)
})

t.test('--previous-head: a genuine later head passes; an older, rolled-back or forked head fails', async (t) => {
  const b = await build(t)
  const files = exportFiles(b.out)
  const head12 = await headOf(b.out)
  const prevFile = join(b.dir, 'previous.json')
  const proofFile = join(b.dir, 'consistency.json')
  const sign = (size: bigint, root: Uint8Array | string, at: string) => signTreeHead(treeHead(size, root, at), b.keys.privateKey)
  const head8 = sign(8n, b.tree.root(8n), '2026-03-02T09:31:00.000Z')

  await writeFile(prevFile, JSON.stringify(head8))
  let result = await verifyExport({ in: b.out, previousHead: prevFile })
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /extends the previous head of tree size 8 \(the rebuilt tree gives its root\)/)
  await writeFile(proofFile, JSON.stringify({ from: '8', to: '12', proof: b.tree.consistencyProof(8n, 12n).map(toHex) }))
  result = await verifyExport({ in: b.out, previousHead: prevFile, consistencyProof: proofFile })
  t.equal(result.exitCode, 0, result.summary)
  t.match(result.summary, /extends the previous head of tree size 8 \(consistency proof verified\)/)

  // Rolled back: the head given is older than one already held.
  await writeFile(files.head, JSON.stringify(head8))
  await writeFile(prevFile, JSON.stringify(head12))
  result = await verifyExport({ in: b.out, previousHead: prevFile })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /rollback: the head covers 8 events but the previous head .* already covered 12/)
  // Same size, dated earlier than the one held: an old head served again.
  await writeFile(files.head, JSON.stringify(head12))
  await writeFile(prevFile, JSON.stringify(sign(12n, b.tree.root(12n), '2026-03-02T09:40:00.000Z')))
  result = await verifyExport({ in: b.out, previousHead: prevFile })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /rollback: the head is dated 2026-03-02T09:32:00.000Z, not later than the previous head/)

  // Forked: the same size with another root.
  const other = new MemoryMerkleTree()
  for (let i = 0; i < 12; i++) other.append(new Uint8Array(32).fill(i))
  await writeFile(prevFile, JSON.stringify(sign(12n, other.root(12n), '2026-03-02T09:20:00.000Z')))
  result = await verifyExport({ in: b.out, previousHead: prevFile })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /fork: the head and the previous head .* both cover 12 events but have different roots/)
  // Forked: a smaller previous head of another history, which this log does not extend.
  await writeFile(prevFile, JSON.stringify(sign(8n, other.root(8n), '2026-03-02T09:20:00.000Z')))
  result = await verifyExport({ in: b.out, previousHead: prevFile })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /fork: the previous head .* \(tree size 8\) has root [0-9a-f]{64}, but the log the head vouches for gives [0-9a-f]{64} there/)
  await writeFile(proofFile, JSON.stringify({ from: '8', to: '12', proof: b.tree.consistencyProof(8n, 12n).map(toHex) }))
  result = await verifyExport({ in: b.out, previousHead: prevFile, consistencyProof: proofFile })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /fork: .*consistency.json does not prove that the tree of 12 events extends the previous head's tree of 8/)

  // The previous head must be genuine too.
  await writeFile(prevFile, JSON.stringify({ ...head8, rootHash: toHex(other.root(8n)) }))
  result = await verifyExport({ in: b.out, previousHead: prevFile })
  t.equal(result.exitCode, 1)
  t.match(result.summary, /previous head .*: signature does not match the head/)
})

t.test('a consistency proof file that is not shaped like one answers "invalid", never throws', async (t) => {
  const b = await build(t)
  const prevFile = join(b.dir, 'previous.json')
  const proofFile = join(b.dir, 'consistency.json')
  await writeFile(prevFile, JSON.stringify(signTreeHead(treeHead(8n, b.tree.root(8n), '2026-03-02T09:31:00.000Z'), b.keys.privateKey)))
  const good = b.tree.consistencyProof(8n, 12n).map(toHex)
  for (const [desc, text] of [
    ['path missing', JSON.stringify({ from: '8', to: '12' })],
    ['path not an array', JSON.stringify({ from: '8', to: '12', proof: good.join('') })],
    ['path of numbers', JSON.stringify({ from: '8', to: '12', proof: [1, 2, 3] })],
    ['sizes as numbers', JSON.stringify({ from: 8, to: 12, proof: good })],
    ['null', 'null'],
    ['not JSON', '{"from": "8",'],
  ] as const) {
    await writeFile(proofFile, text)
    const result = await verifyExport({ in: b.out, previousHead: prevFile, consistencyProof: proofFile })
    t.equal(result.exitCode, 1, desc)
    t.match(result.summary, /^FAILED .*: consistency proof .*consistency.json: /, `${desc}: ${result.summary}`)
  }
  await writeFile(proofFile, JSON.stringify({ from: '7', to: '12', proof: good }))
  const result = await verifyExport({ in: b.out, previousHead: prevFile, consistencyProof: proofFile })
  t.match(result.summary, /it is from 7 to 12, but the heads are of sizes 8 and 12/, 'a proof for other sizes')
  const garbage = await verifyExport({ in: b.out, previousHead: prevFile, consistencyProof: proofFile.replace('.json', '-missing.json') })
  t.equal(garbage.exitCode, 1, 'a missing file is a failure, not an exception')
})
