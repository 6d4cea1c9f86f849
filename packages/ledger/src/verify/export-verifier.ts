import type { KeyObject } from 'node:crypto'
import { access, readFile } from 'node:fs/promises'
import { ChainVerifier } from '../hash.js'
import { LEDGER_CHECKPOINT_STREAM, TREE_HEAD_SIGNED } from '../ledger-stream.js'
import { fromHex, verifyConsistency, verifyInclusion } from '../merkle.js'
import { keyIdOf, loadPublicKeyPem } from '../signing-key.js'
import { treeHeadVersion, verifyTreeHead } from '../tree-head.js'
import type { SignedTreeHead } from '../tree-head.js'
import { exportFiles } from './export-files.js'
import { countLines, linesMentioning, readLineBatches } from './json-lines.js'
import { LedgerReplay, describeFinding, leafHashOfEvent, outOfPeriod } from './ledger.replay.js'
import type { HeadToCheck, ReferenceLeaf, ReplayEvent } from './ledger.replay.js'

export interface VerifyOptions {
  /** The events file. */
  in: string
  /** Signed head JSON file; default `<in>.head.json`. */
  head?: string
  /**
   * Public key PEM file(s) to trust. With neither this nor `keys`: `<in>.pub.pem` and `<in>.keys.json`, as the
   * export wrote them (pass the keys you got from the committee or the deployment to trust nothing in the export).
   */
  publicKey?: string | readonly string[]
  /** A key list as `GET /v1/ledger/keys` answers it: every key with its period, so heads from before a rotation verify. */
  keys?: string
  /** The log every version 2 head must belong to; default: the origin the head names (the summary says which). */
  origin?: string
  /**
   * A head held from before (rollback and fork detection): the head must be at least as large, later, and extend it —
   * a consistency proof (`consistencyProof`), or for a whole-log export the rebuilt tree, must show it.
   */
  previousHead?: string
  /** `{ from, to, proof }` as `GET /v1/ledger/proofs/consistency` answers, from the previous head's size to the head's. */
  consistencyProof?: string
  /**
   * Called as events are checked, with the events checked so far and the lines of the events file (an event per
   * line, so the total to expect). Often: pass a throttled reporter, not something that writes every time.
   */
  onProgress?: (events: number, total: number) => void
}

export interface VerifyResult {
  ok: boolean
  exitCode: 0 | 1
  /** One line: what was verified, or the first bad event and what is wrong with it. */
  summary: string
  /** Events checked (the last one is the bad one when `ok` is false). */
  events: number
}

class VerifyFailure extends Error {}

/**
 * Checks an export with no server and no database (DESIGN §6). All it trusts are the public keys: the head is
 * checked with the key it names (inside that key's period, when a key list gives periods, and as a head of the
 * log `origin`), and the events, leaves and proofs against the head. With `previousHead`, the head must also extend
 * a head held from before and be later (rollback and fork detection).
 *
 * - Whole-log export (no `.proofs.jsonl`): every hash chain; the Merkle tree rebuilt from the events in file
 *   order; the head's signature and its root against the rebuilt tree at its size; every `TreeHeadSigned` in the
 *   export's `ledger-checkpoints` stream signed by one of the keys, likewise (old heads with old keys); and, with `.leaves.jsonl`, each leaf
 *   against the ledger's record of it, which names the exact event where they part.
 * - Stream export (`.proofs.jsonl`): the stream's chain and every event's inclusion proof against the head.
 *
 * Never throws for bad input, only for I/O it cannot do.
 *
 * @example
 * const { exitCode, summary } = await verifyExport({ in: 'log.jsonl' })
 */
export async function verifyExport(options: VerifyOptions): Promise<VerifyResult> {
  const seen = { events: 0 }
  try {
    const summary = await verify(options, seen)
    return { ok: true, exitCode: 0, summary: `verified ${options.in}: ${summary}`, events: seen.events }
  } catch (error) {
    if (!(error instanceof VerifyFailure)) throw error
    return { ok: false, exitCode: 1, summary: `FAILED ${options.in}: ${error.message}`, events: seen.events }
  }
}

/** A key to check heads with, and the end of its period when the key list gave one. */
interface TrustedKey {
  key: KeyObject
  retiredAt: string | null | undefined
}

async function verify(options: VerifyOptions, seen: { events: number }): Promise<string> {
  const files = exportFiles(options.in)
  if (!(await exists(options.in))) throw new VerifyFailure(`no such file`)
  const headFile = options.head ?? ((await exists(files.head)) ? files.head : undefined)
  if (!headFile) {
    throw new VerifyFailure(
      `no signed tree head to check against (${files.head} is missing; give --head <head.json> --public-key <pem>)`,
    )
  }
  const keys = await trustedKeys(options, files)
  const head = await readHead(headFile, 'signed head')
  const given = checkHead(head, keys, options.origin)
  if (given) throw new VerifyFailure(`signed head ${headFile}: ${given}`)
  // Pinned by the caller, or else by the head itself: every other head must then be of the same log.
  const origin = options.origin ?? (treeHeadVersion(head) === 2 ? head.origin : undefined)
  const previous = options.previousHead ? await checkPrevious(options, head, keys, origin) : undefined

  const progress = (events: number, total: number) => {
    seen.events = events
    options.onProgress?.(events, total)
  }
  const summary = (await exists(files.proofs))
    ? // A previous head was shown by its consistency proof already (checkPrevious requires one for a stream).
      await verifyStream(options.in, files.proofs, head, progress)
    : await verifyWholeLog(
        options.in,
        (await exists(files.leaves)) ? files.leaves : undefined,
        { head, source: `head file ${headFile}` },
        keys,
        origin,
        progress,
        previous,
      )
  const named = treeHeadVersion(head) === 2 ? `; log origin "${head.origin}"` : '; a version 1 head (signed before heads named their log)'
  return `${summary}${named}${previous ? `; ${previous.summary}` : ''}`
}

/** Why a head does not verify with the keys given (signature, key, origin, key period), or undefined. */
function checkHead(head: SignedTreeHead, keys: ReadonlyMap<string, TrustedKey>, origin: string | undefined): string | undefined {
  const trusted = keys.get(head.keyId)
  if (!trusted) return `signed by key ${String(head.keyId)}, which is not among the keys given (${[...keys.keys()].join(', ')})`
  const check = verifyTreeHead(head, trusted.key, origin === undefined ? {} : { origin })
  if (!check.ok) return check.detail
  return outOfPeriod(head, trusted.retiredAt)
}

/** The previous head, checked, and what the log must show of it. */
interface PreviousHead {
  head: SignedTreeHead
  file: string
  /** Shown by a consistency proof already; else the whole-log replay must find its root. */
  proven: boolean
  summary: string
}

/**
 * Rollback and fork detection against a head held from before: it must verify like the head, the head must not be
 * smaller nor dated earlier, a head of the same size must have the same root, and the head's tree must extend the
 * previous one (a consistency proof, or — for a whole-log export without one — the rebuilt tree, checked later).
 */
async function checkPrevious(
  options: VerifyOptions,
  head: SignedTreeHead,
  keys: ReadonlyMap<string, TrustedKey>,
  origin: string | undefined,
): Promise<PreviousHead> {
  const file = options.previousHead!
  const previous = await readHead(file, 'previous head')
  const problem = checkHead(previous, keys, origin)
  if (problem) throw new VerifyFailure(`previous head ${file}: ${problem}`)
  const from = BigInt(previous.treeSize)
  const to = BigInt(head.treeSize)
  const same = previous.signature === head.signature && previous.timestamp === head.timestamp && from === to
  if (to < from) {
    throw new VerifyFailure(
      `rollback: the head covers ${to} events but the previous head ${file} already covered ${from}: the log was cut back, or this head is an old one`,
    )
  }
  if (!same && Date.parse(head.timestamp) <= Date.parse(previous.timestamp)) {
    throw new VerifyFailure(`rollback: the head is dated ${head.timestamp}, not later than the previous head ${file} (${previous.timestamp})`)
  }
  if (to === from && head.rootHash !== previous.rootHash) {
    throw new VerifyFailure(
      `fork: the head and the previous head ${file} both cover ${to} events but have different roots (${head.rootHash.slice(0, 16)}… and ${previous.rootHash.slice(0, 16)}…)`,
    )
  }
  if (options.consistencyProof !== undefined) {
    const proof = await readConsistencyProof(options.consistencyProof, from, to)
    if (!verifyConsistency({ from, to, fromRoot: previous.rootHash, toRoot: head.rootHash, proof })) {
      throw new VerifyFailure(
        `fork: ${options.consistencyProof} does not prove that the tree of ${to} events extends the previous head's tree of ${from}: ` +
          'the history the previous head signed was changed',
      )
    }
    return { head: previous, file, proven: true, summary: `extends the previous head of tree size ${from} (consistency proof verified)` }
  }
  if (to === from) return { head: previous, file, proven: true, summary: `the previous head of tree size ${from} has the same root` }
  const exported = exportFiles(options.in)
  if (await exists(exported.proofs)) {
    throw new VerifyFailure(
      `a stream export cannot show that the head extends the previous head by itself: give --consistency-proof <file> ` +
        `(GET /v1/ledger/proofs/consistency?from=${from}&to=${to})`,
    )
  }
  return { head: previous, file, proven: false, summary: `extends the previous head of tree size ${from} (the rebuilt tree gives its root)` }
}

/** A consistency proof file: `{ from, to, proof }`, for exactly these sizes. */
async function readConsistencyProof(file: string, from: bigint, to: bigint): Promise<string[]> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new VerifyFailure(`consistency proof ${file}: ${(error as Error).message}`)
  }
  const p = value as Record<string, unknown> | null
  if (p === null || typeof p !== 'object' || !isDecimal(p.from) || !isDecimal(p.to) || !isStringArray(p.proof)) {
    throw new VerifyFailure(`consistency proof ${file}: not a consistency proof ({ from, to, proof: [hex, …] })`)
  }
  if (BigInt(p.from) !== from || BigInt(p.to) !== to) {
    throw new VerifyFailure(`consistency proof ${file}: it is from ${p.from} to ${p.to}, but the heads are of sizes ${from} and ${to}`)
  }
  return p.proof
}

/**
 * The keys to check heads with: the files given (`--public-key`, `--keys`), else what the export wrote beside the log.
 * A key list's `keyId` must name its key, or the list is refused.
 */
async function trustedKeys(options: VerifyOptions, files: ReturnType<typeof exportFiles>): Promise<Map<string, TrustedKey>> {
  const explicit = options.publicKey !== undefined || options.keys !== undefined
  const pemFiles = options.publicKey === undefined ? [] : typeof options.publicKey === 'string' ? [options.publicKey] : [...options.publicKey]
  let keysFile = options.keys
  if (!explicit) {
    if (await exists(files.publicKey)) pemFiles.push(files.publicKey)
    if (await exists(files.keys)) keysFile = files.keys
  }
  const keys = new Map<string, TrustedKey>()
  if (keysFile !== undefined) {
    for (const entry of await readKeyList(keysFile)) keys.set(keyIdOf(entry.key), entry)
  }
  for (const file of pemFiles) {
    const key = await readPublicKey(file)
    const id = keyIdOf(key)
    if (!keys.has(id)) keys.set(id, { key, retiredAt: undefined })
  }
  if (keys.size === 0) throw new VerifyFailure(`no public key to check the head with (give --public-key <pem> or --keys <keys.json>)`)
  return keys
}

async function readKeyList(file: string): Promise<TrustedKey[]> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new VerifyFailure(`keys ${file}: ${(error as Error).message}`)
  }
  const list = (value as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) throw new VerifyFailure(`keys ${file}: not a key list ({ keys: [{ keyId, publicKeyPem, validFrom, validUntil }] })`)
  return list.map((entry: unknown, i) => {
    const k = entry as Record<string, unknown> | null
    const retiredAt = k?.validUntil
    if (k === null || typeof k !== 'object' || typeof k.keyId !== 'string' || typeof k.publicKeyPem !== 'string') {
      throw new VerifyFailure(`keys ${file}: entry ${i} has no keyId and publicKeyPem`)
    }
    if (retiredAt !== null && retiredAt !== undefined && (typeof retiredAt !== 'string' || Number.isNaN(Date.parse(retiredAt)))) {
      throw new VerifyFailure(`keys ${file}: entry ${i} (key ${k.keyId}): validUntil is not a time`)
    }
    let key: KeyObject
    try {
      key = loadPublicKeyPem(k.publicKeyPem)
    } catch (error) {
      throw new VerifyFailure(`keys ${file}: entry ${i} (key ${k.keyId}): ${(error as Error).message}`)
    }
    if (keyIdOf(key) !== k.keyId) throw new VerifyFailure(`keys ${file}: entry ${i} is named ${k.keyId} but its key is ${keyIdOf(key)}`)
    return { key, retiredAt: retiredAt as string | null | undefined }
  })
}

type Progress = (events: number, total: number) => void

async function verifyWholeLog(
  file: string,
  leavesFile: string | undefined,
  given: HeadToCheck,
  keys: ReadonlyMap<string, TrustedKey>,
  origin: string | undefined,
  progress: Progress,
  previous: PreviousHead | undefined,
): Promise<string> {
  // First pass: the heads the log itself carries, so the replay knows every size to stop and compare at.
  // Only lines that can hold a TreeHeadSigned are parsed here: its type is either written out or \u-escaped. A
  // malformed line is reported by the second pass, which parses every line.
  const embedded: HeadToCheck[] = []
  const counted = { lines: 0 }
  for await (const { text, line } of linesMentioning(file, TREE_HEAD_SIGNED, counted)) {
    if (text.trim() === '') continue
    const event = eventOfLine(text, file, line)
    if (event.streamId === LEDGER_CHECKPOINT_STREAM && event.type === TREE_HEAD_SIGNED) {
      const head = event.data as unknown as SignedTreeHead
      embedded.push({ head, source: `${LEDGER_CHECKPOINT_STREAM}@${event.revision}, line ${line}` })
    }
  }
  // The previous head, unless a proof showed it already, is one more head whose root the rebuilt tree must give.
  const held: HeadToCheck | undefined = previous && !previous.proven ? { head: previous.head, source: `previous head ${previous.file}` } : undefined
  const replay = new LedgerReplay({
    heads: [given, ...(held ? [held] : []), ...embedded],
    keys: new Map([...keys].map(([id, k]) => [id, k.key])),
    retiredAt: new Map([...keys].map(([id, k]) => [id, k.retiredAt ?? null])),
    ...(origin === undefined ? {} : { origin }),
    requireKnownKey: (h) => h === given || h === held,
    ...(leavesFile ? { reference: readReference(leavesFile) } : {}),
  })
  let events = 0
  for await (const { lines, first } of readLineBatches(file)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.trim() === '') continue
      events++
      await replay.add(eventOfLine(text, file, first + i))
    }
    progress(events, counted.lines)
  }
  const result = await replay.finish()
  if (!result.ok) {
    const [first] = result.findings
    if (held && first!.kind === 'head_root' && first!.head.head === held.head) {
      throw new VerifyFailure(
        `fork: the previous head ${previous!.file} (tree size ${held.head.treeSize}) has root ${held.head.rootHash}, but the log ` +
          `the head vouches for gives ${first!.actualRoot} there: the head does not extend the previous head`,
      )
    }
    const more = result.findingCount > 1 ? ` (${result.findingCount - 1} more problem${result.findingCount > 2 ? 's' : ''} after it)` : ''
    throw new VerifyFailure(`${describeFinding(first!)}${more}`)
  }
  const covered = BigInt(given.head.treeSize)
  const others = result.verifiedHeads.length - 1 - (held ? 1 : 0)
  return (
    `${result.events} events in ${result.streams} streams, hash chains intact; Merkle tree of ${result.leaves} leaves rebuilt; ` +
    `signed head of tree size ${given.head.treeSize} (key ${given.head.keyId}) matches root ${given.head.rootHash.slice(0, 16)}…` +
    (keys.size > 1 ? ` (${keys.size} keys given)` : '') +
    (others > 0 ? `; ${others} more signed head${others > 1 ? 's' : ''} in ${LEDGER_CHECKPOINT_STREAM} match` : '') +
    (result.compared > 0n ? `; ${result.compared} leaves match the ledger's record` : '') +
    (result.skippedHeads.length > 0 ? `; ${result.skippedHeads.length} heads by other keys not checked` : '') +
    (result.leaves > covered ? `; ${result.leaves - covered} events are newer than the head` : '')
  )
}

async function verifyStream(file: string, proofsFile: string, head: SignedTreeHead, progress: Progress): Promise<string> {
  const proofs = new Map<string, { leafIndex: bigint; auditPath: string[]; line: number }>()
  for await (const { value, line } of readJsonLines(proofsFile)) {
    const p = value as Record<string, unknown>
    if (typeof p.eventId !== 'string' || !isDecimal(p.leafIndex) || !isDecimal(p.treeSize) || !isStringArray(p.auditPath)) {
      throw new VerifyFailure(`${proofsFile} line ${line}: not an inclusion proof`)
    }
    if (p.treeSize !== head.treeSize) {
      throw new VerifyFailure(`${proofsFile} line ${line}: proof for tree size ${p.treeSize}, but the head is of size ${head.treeSize}`)
    }
    proofs.set(p.eventId, { leafIndex: BigInt(p.leafIndex), auditPath: p.auditPath, line })
  }
  const total = await countLines(file)
  const chains = new ChainVerifier()
  const treeSize = BigInt(head.treeSize)
  let events = 0
  let proven = 0
  let unproven: { event: ReplayEvent; line: number } | undefined
  const seen = new Set<string>()
  for await (const { event, line } of readEvents(file)) {
    progress(++events, total)
    seen.add(event.eventId)
    const failure = chains.check(event)
    if (failure) throw new VerifyFailure(`line ${line}: event ${failure.eventId} (${failure.streamId}@${failure.revision}): ${failure.problem}: ${failure.detail.replace(/^.*?\): /, '')}`)
    const proof = proofs.get(event.eventId)
    if (!proof) {
      unproven ??= { event, line }
      continue
    }
    if (unproven) {
      // The ledger had later events of this stream, so this one would have had a leaf too: it is not in the tree.
      throw new VerifyFailure(
        `line ${unproven.line}: event ${unproven.event.eventId} (${unproven.event.streamId}@${unproven.event.revision}) is not in the signed tree, ` +
          `though later events of its stream are: it was inserted afterwards`,
      )
    }
    const included = verifyInclusion({
      leafIndex: proof.leafIndex,
      treeSize,
      // The chain check above has made sure it is 64 lowercase hex.
      leafHash: leafHashOfEvent(event.metadata.hash as string),
      auditPath: proof.auditPath,
      rootHash: fromHex(head.rootHash),
    })
    if (!included) {
      throw new VerifyFailure(
        `line ${line}: event ${event.eventId} (${event.streamId}@${event.revision}) is not leaf ${proof.leafIndex} of the signed tree ` +
          `of size ${head.treeSize}: its hash is not what the ledger recorded`,
      )
    }
    proven++
  }
  const missing = [...proofs].filter(([eventId]) => !seen.has(eventId)).sort((a, b) => (a[1].leafIndex < b[1].leafIndex ? -1 : 1))[0]
  if (missing) {
    throw new VerifyFailure(`event ${missing[0]} is leaf ${missing[1].leafIndex} of the signed tree but missing from the export: it was deleted`)
  }
  return (
    `${events} events, hash chain intact; ${proven} proven included in the signed tree of size ${head.treeSize} ` +
    `(key ${head.keyId}, root ${head.rootHash.slice(0, 16)}…)` +
    (events > proven ? `; ${events - proven} events are newer than the head` : '')
  )
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

async function readPublicKey(file: string): Promise<KeyObject> {
  try {
    return loadPublicKeyPem(await readFile(file, 'utf8'))
  } catch (error) {
    throw new VerifyFailure(`public key ${file}: ${(error as Error).message}`)
  }
}

async function readHead(file: string, what: string): Promise<SignedTreeHead> {
  let head: unknown
  try {
    head = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw new VerifyFailure(`${what} ${file}: ${(error as Error).message}`)
  }
  if (head === null || typeof head !== 'object' || Array.isArray(head)) throw new VerifyFailure(`${what} ${file}: not a JSON object`)
  return head as SignedTreeHead
}

function parseJsonLine(text: string, file: string, line: number): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new VerifyFailure(`${file} line ${line}: not JSON (${(error as Error).message})`)
  }
}

async function* readJsonLines(file: string): AsyncGenerator<{ value: unknown; line: number }> {
  for await (const { lines, first } of readLineBatches(file)) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      if (text.trim() === '') continue
      yield { value: parseJsonLine(text, file, first + i), line: first + i }
    }
  }
}

async function* readEvents(file: string): AsyncGenerator<{ event: ReplayEvent; line: number }> {
  for await (const { value, line } of readJsonLines(file)) yield { event: parseEvent(value, file, line), line }
}

/** One exported event from its line of text; a failure names the file and line. */
function eventOfLine(text: string, file: string, line: number): ReplayEvent {
  return parseEvent(parseJsonLine(text, file, line), file, line)
}

function notAnEvent(file: string, line: number, what: string): VerifyFailure {
  return new VerifyFailure(`${file} line ${line}: not an exported event (${what})`)
}

function parseEvent(value: unknown, file: string, line: number): ReplayEvent {
  const e = value as Record<string, unknown>
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw notAnEvent(file, line, 'not an object')
  if (typeof e.eventId !== 'string' || typeof e.streamId !== 'string' || typeof e.type !== 'string') throw notAnEvent(file, line, 'eventId, streamId or type')
  if (!isDecimal(e.revision) || !isDecimal(e.position)) throw notAnEvent(file, line, 'revision or position is not a decimal string')
  if (typeof e.schemaVersion !== 'number' || !Number.isInteger(e.schemaVersion)) throw notAnEvent(file, line, 'schemaVersion')
  if (e.metadata === null || typeof e.metadata !== 'object' || Array.isArray(e.metadata)) throw notAnEvent(file, line, 'metadata')
  return {
    eventId: e.eventId,
    streamId: e.streamId,
    revision: BigInt(e.revision),
    position: BigInt(e.position),
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata as Record<string, unknown>,
  }
}

async function* readReference(file: string): AsyncGenerator<ReferenceLeaf> {
  for await (const { value, line } of readJsonLines(file)) {
    const l = value as Record<string, unknown>
    if (
      typeof l.eventId !== 'string' ||
      typeof l.streamId !== 'string' ||
      !isDecimal(l.leafIndex) ||
      !isDecimal(l.revision) ||
      !isDecimal(l.position) ||
      typeof l.leafHash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(l.leafHash)
    ) {
      throw new VerifyFailure(`${file} line ${line}: not a leaf record`)
    }
    yield {
      leafIndex: BigInt(l.leafIndex),
      eventId: l.eventId,
      streamId: l.streamId,
      revision: BigInt(l.revision),
      position: BigInt(l.position),
      leafHash: fromHex(l.leafHash),
    }
  }
}

function isDecimal(v: unknown): v is string {
  return typeof v === 'string' && /^(0|[1-9][0-9]*)$/.test(v)
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}
