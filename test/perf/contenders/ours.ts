import type { ExpectedRevision, PostgresEventStore } from '@pc/event-store'
import { createPostgresEventStore } from '@pc/event-store'
import { runAppends, runCatchUpWrite, runReads, type ReadTarget } from '../lib/drivers.js'
import type { TaskMap, Tasks } from '../lib/tasks.js'
import { DeliveryTally, type PlannedAppend } from '../lib/workload.js'

/**
 * Our side. The event store's tasks are here; the read side's (rebuild, replay, verify) load their modules only
 * when asked, so an append benchmark's process starts without them.
 */

async function openStore(url: string, maxConnections = 16): Promise<PostgresEventStore> {
  const store = await createPostgresEventStore({ connectionString: url, maxConnections })
  store.pool.on('error', () => undefined)
  return store
}

function expectedBefore(revision: number): ExpectedRevision {
  return revision === 0 ? 'no_stream' : BigInt(revision - 1)
}

async function target(url: string): Promise<ReadTarget> {
  const store = await openStore(url)
  return {
    append: (step: PlannedAppend) => store.append(step.streamId, step.events, { expectedRevision: expectedBefore(step.revision) }),
    async read(streamId) {
      let n = 0
      for await (const event of store.readStream(streamId)) if (event.type) n++
      return n
    },
    close: () => store.close(),
  }
}

type ReadSideTask = 'rebuild-setup' | 'rebuild' | 'replay-setup' | 'replay' | 'verify-setup' | 'verify'

function readSide<K extends ReadSideTask>(name: K) {
  return async (params: TaskMap[K]['params']): Promise<TaskMap[K]['result']> => {
    const { readSideTasks } = await import('./ours-read-side.js')
    const run = readSideTasks[name] as (p: TaskMap[K]['params']) => Promise<TaskMap[K]['result']>
    return run(params)
  }
}

export const tasks: Tasks = {
  appends: (p) => runAppends(p, target),

  reads: async (p) => runReads(p, await target(p.url)),

  'catchup-write': async (p) => runCatchUpWrite(p, await target(p.url)),

  async 'catchup-read'(p) {
    const store = await openStore(p.url)
    try {
      const tally = new DeliveryTally(p.events)
      const started = performance.now()
      let last = started
      const subscription = store.subscribeAll()
      // Catch-up, then live: it never ends by itself. It has everything once nothing new came for idleMs; the
      // rate is taken at the last event, so the idle wait does not count.
      const idle = setInterval(() => {
        if (performance.now() - last > p.idleMs) void subscription.close()
      }, 50)
      try {
        for await (const event of subscription) {
          tally.add((event.data as { n: number }).n)
          last = performance.now()
        }
      } finally {
        clearInterval(idle)
      }
      return { rate: tally.delivered / ((last - started) / 1000), delivered: tally.delivered, missed: tally.missed, duplicated: tally.duplicated }
    } finally {
      await store.close()
    }
  },

  'rebuild-setup': readSide('rebuild-setup'),
  rebuild: readSide('rebuild'),
  'replay-setup': readSide('replay-setup'),
  replay: readSide('replay'),
  'verify-setup': readSide('verify-setup'),
  verify: readSide('verify'),
}
