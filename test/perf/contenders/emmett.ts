import pg from 'pg'
import { STREAM_DOES_NOT_EXIST, type Event } from '@event-driven-io/emmett'
import { getPostgreSQLEventStore, postgreSQLEventStoreConsumer } from '@event-driven-io/emmett-postgresql'
import { runAppends, runCatchUpWrite, runReads, type ReadTarget } from '../lib/drivers.js'
import type { Tasks } from '../lib/tasks.js'
import { DeliveryTally, type PlannedAppend } from '../lib/workload.js'

/**
 * The peer: Emmett's PostgreSQL event store (`@event-driven-io/emmett-postgresql`), used as its documentation shows,
 * on a pool of the same size as ours. Its dumbo layer changes `pg`'s type parsers process-wide, which is why every
 * contender runs in a process of its own.
 */

type NoteEvent = Event<'CaseNoteAdded', Record<string, unknown>, Record<string, unknown>>

async function target(url: string): Promise<ReadTarget> {
  const pool = new pg.Pool({ connectionString: url, max: 16 })
  pool.on('error', () => undefined)
  const store = getPostgreSQLEventStore(url, { connectionOptions: { pool } })
  await store.schema.migrate()
  // Emmett's own event objects, made in `prepare` before the clock starts (the other contenders' are ready-made).
  const own = new Map<PlannedAppend, NoteEvent[]>()
  return {
    prepare(plan) {
      for (const step of plan) own.set(step, step.events.map((e) => ({ type: 'CaseNoteAdded', data: e.data, metadata: e.metadata }) as NoteEvent))
    },
    append: (step) =>
      store.appendToStream(step.streamId, own.get(step)!, {
        // Emmett counts stream versions from 1: a stream holding `revision` events is at version `revision`.
        expectedStreamVersion: step.revision === 0 ? STREAM_DOES_NOT_EXIST : BigInt(step.revision),
      }),
    read: async (streamId) => (await store.readStream(streamId)).events.length,
    async close() {
      await store.close()
      await pool.end().catch(() => undefined)
    },
  }
}

export const tasks: Tasks = {
  appends: (p) => runAppends(p, target),

  reads: async (p) => runReads(p, await target(p.url)),

  'catchup-write': async (p) => runCatchUpWrite(p, await target(p.url)),

  /**
   * Emmett's async consumer with one reactor from the beginning, stopping when no messages are left. Its puller
   * sleeps `pullingFrequencyInMs` (default 50 ms) between batches of `batchSize` (default 100); both are set in its
   * favour here: batches of 500 like ours, 1 ms between them.
   */
  async 'catchup-read'(p) {
    const tally = new DeliveryTally(p.events)
    const consumer = postgreSQLEventStoreConsumer({
      connectionString: p.url,
      stopWhen: { noMessagesLeft: true },
      pulling: { batchSize: 500, pullingFrequencyInMs: 1 },
    })
    let last = 0
    consumer.reactor<NoteEvent>({
      processorId: 'bench-catch-up',
      startFrom: 'BEGINNING',
      eachMessage: async (message) => {
        tally.add((message.data as { n: number }).n)
        last = performance.now()
      },
    })
    const started = performance.now()
    last = started
    try {
      await consumer.start()
    } finally {
      await consumer.close()
    }
    return { rate: tally.delivered / ((last - started) / 1000), delivered: tally.delivered, missed: tally.missed, duplicated: tally.duplicated }
  },
}
