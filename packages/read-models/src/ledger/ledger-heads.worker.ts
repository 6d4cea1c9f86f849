import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '@pc/event-store'
import { nameBasedUuid } from '@pc/domain'
import { ZERO_HASH, sealEvents, signTreeHead, treeHead, treeRoot, type SignedTreeHead } from '@pc/ledger'
import { silentLogger, type ProjectorLogger } from '../logger.js'
import { LEDGER_ACTOR, LEDGER_CHECKPOINT_STREAM, LEDGER_PROJECTION, TREE_HEAD_SIGNED } from './ledger.constants.js'
import {
  insertHead,
  latestHead,
  ledgerSubtreeSource,
  ledgerTreeSize,
  lockLedgerCheckpoint,
  describeSigningKeyStatus,
  markHeadPublished,
  registerSigningKey,
  signedHeadOf,
  unpublishedHeads,
  type LedgerTransactional,
} from './ledger.repository.js'
import type { LedgerSigner } from './signing-key.js'

export interface LedgerHeadWorkerOptions {
  db: LedgerTransactional
  store: EventStore
  /** Without a signer the worker only publishes heads the projection signed. */
  signer?: LedgerSigner
  /** `LEDGER_HEAD_SECONDS`: the longest a grown tree goes without a head (default 60). */
  headSeconds?: number
  /** How often to look (default: a tenth of `headSeconds`, between 100 ms and 1 s). */
  pollMs?: number
  logger?: ProjectorLogger
  now?: () => Date
}

export interface LedgerHeadTick {
  /** A head signed because the last one was older than `headSeconds`, if any. */
  signed: SignedTreeHead | undefined
  /** Heads appended to `ledger-checkpoints` this time. */
  published: number
}

/**
 * The ledger's small worker, run next to the projector:
 * - signs a head when the tree has grown and the last head is older than `LEDGER_HEAD_SECONDS` (the projection
 *   signs the count-triggered ones), so a quiet system still commits to its last events within that time;
 * - appends every stored head not yet published to `ledger-checkpoints` as a sealed `TreeHeadSigned` event, after
 *   the transaction that stored it has committed (`ledger_heads` is the outbox).
 *
 * Safe to run in several processes: signing happens under the ledger projection's checkpoint row lock, and a
 * head's event id is derived from the head, so two publishers append it once.
 *
 * @example
 * const worker = new LedgerHeadWorker({ db, store, signer, headSeconds: 60, logger })
 * worker.start()
 * // … on shutdown:
 * await worker.stop()
 */
export class LedgerHeadWorker {
  readonly #options: LedgerHeadWorkerOptions
  readonly #logger: ProjectorLogger
  readonly #headMs: number
  readonly #pollMs: number
  readonly #now: () => Date
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #stopped = false
  #keyCurrent = false
  #keyWarned = false

  constructor(options: LedgerHeadWorkerOptions) {
    const headSeconds = options.headSeconds ?? 60
    if (!(headSeconds > 0)) throw new RangeError(`LEDGER_HEAD_SECONDS must be positive, got ${headSeconds}`)
    this.#options = options
    this.#logger = options.logger ?? silentLogger
    this.#headMs = headSeconds * 1000
    this.#pollMs = options.pollMs ?? Math.min(1000, Math.max(100, this.#headMs / 10))
    this.#now = options.now ?? (() => new Date())
  }

  start(): void {
    if (this.#timer || this.#stopped) return
    const loop = (): void => {
      this.#running = this.tick()
        .then(() => undefined)
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'ledger head worker: tick failed; trying again'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.#pollMs)
        })
    }
    this.#timer = setTimeout(loop, 0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  /** One round: sign if due, then publish what is pending. */
  async tick(): Promise<LedgerHeadTick> {
    const signed = await this.signIfDue()
    const published = await this.publishPending()
    return { signed, published }
  }

  /**
   * Signs a head over the whole tree if it has grown since the last head and that head is `headSeconds` old (or
   * there is none yet: the first events get a head at once).
   */
  async signIfDue(): Promise<SignedTreeHead | undefined> {
    const { signer, db } = this.#options
    if (!signer) return undefined
    if (!this.#keyCurrent) {
      // Records the first key of a ledger, so `GET /v1/ledger/public-key` answers before the first head is signed.
      const status = await registerSigningKey(db, signer.keyId, signer.publicKeyPem)
      if (status.state !== 'current') {
        if (!this.#keyWarned) this.#logger.error({ keyId: signer.keyId }, `ledger heads are not signed: ${describeSigningKeyStatus(signer.keyId, status)}`)
        this.#keyWarned = true
        return undefined
      }
      this.#keyCurrent = true
    }
    return db.transaction().execute(async (trx) => {
      // Taken first, like every batch of the projection takes it: the tree cannot grow under us, and two workers
      // deciding at once see each other's head.
      if (!(await lockLedgerCheckpoint(trx, LEDGER_PROJECTION))) return undefined
      const size = await ledgerTreeSize(trx)
      const last = await latestHead(trx)
      const now = this.#now()
      if (size === 0n || (last && BigInt(last.treeSize) >= size)) return undefined
      if (last && now.getTime() - Date.parse(last.timestamp) < this.#headMs) return undefined
      const root = await treeRoot(ledgerSubtreeSource(trx), size)
      const head = signTreeHead(treeHead(size, root, now, signer.origin), signer.privateKey, signer.keyId)
      if (!(await insertHead(trx, head, signer.publicKeyPem))) {
        // Rotated away while this process runs: look again next time, and say so once.
        this.#keyCurrent = false
        return undefined
      }
      this.#logger.info({ treeSize: head.treeSize, rootHash: head.rootHash }, 'ledger head signed (time)')
      return head
    })
  }

  /** Appends every unpublished head to `ledger-checkpoints`, smallest tree first; returns how many. */
  async publishPending(): Promise<number> {
    const pending = await unpublishedHeads(this.#options.db)
    for (const head of pending) {
      const { revision, position } = await appendHeadEvent(this.#options.store, head)
      await markHeadPublished(this.#options.db, head.treeSize, revision, position)
    }
    return pending.length
  }
}

/**
 * The event id of a head's `TreeHeadSigned`: a UUID (version 8, RFC 9562) made from a hash of the head, so every
 * publisher of the same head appends the same event and the store keeps one.
 */
export function treeHeadEventId(head: SignedTreeHead): string {
  return nameBasedUuid(`${TREE_HEAD_SIGNED}:${head.keyId}:${head.treeSize}:${head.rootHash}:${head.timestamp}`)
}

/**
 * Appends one head to `ledger-checkpoints`, chained like every event (`sealEvents`), unless it is there already
 * (a publisher that crashed between appending and marking, or another instance). Returns where it is.
 */
export async function appendHeadEvent(store: EventStore, head: SignedTreeHead): Promise<{ revision: bigint; position: bigint }> {
  const eventId = treeHeadEventId(head)
  for (let attempt = 1; ; attempt++) {
    const last = await lastEvent(store, LEDGER_CHECKPOINT_STREAM)
    if (last?.eventId === eventId) return { revision: last.revision, position: last.position }
    const data = signedHeadOf(head)
    const [sealed] = sealEvents(LEDGER_CHECKPOINT_STREAM, last ? last.revision + 1n : 0n, last?.metadata.hash ?? ZERO_HASH, [
      {
        eventId,
        type: TREE_HEAD_SIGNED,
        schemaVersion: 1,
        data: { ...data },
        metadata: {
          actor: { id: LEDGER_ACTOR.id, roles: [...LEDGER_ACTOR.roles] },
          occurredAt: head.timestamp,
          correlationId: eventId,
          causationId: null,
        },
      },
    ])
    try {
      const result = await store.append(LEDGER_CHECKPOINT_STREAM, [sealed as NewEvent], {
        expectedRevision: last ? last.revision : 'no_stream',
      })
      return { revision: result.nextExpectedRevision, position: result.position }
    } catch (error) {
      if (error instanceof DuplicateEventIdError) {
        const found = await findInStream(store, LEDGER_CHECKPOINT_STREAM, eventId)
        if (found) return { revision: found.revision, position: found.position }
      }
      // Another publisher appended first: chain onto its event and try again.
      if (error instanceof WrongExpectedRevisionError && attempt < 10) continue
      throw error
    }
  }
}

async function lastEvent(store: EventStore, streamId: string): Promise<RecordedEvent | undefined> {
  for await (const event of store.readStream(streamId, { from: 'end', direction: 'backwards', maxCount: 1 })) return event
  return undefined
}

async function findInStream(store: EventStore, streamId: string, eventId: string): Promise<RecordedEvent | undefined> {
  // Newest first: a head being published again is near the end.
  for await (const event of store.readStream(streamId, { from: 'end', direction: 'backwards' })) {
    if (event.eventId === eventId) return event
  }
  return undefined
}
