import { compareCheckpoints, type Checkpoint, type EventStore } from '@pc/event-store'
import { newEvent } from './events.js'

/**
 * Appends `perStream` rounds of one event to each of `streams` streams, the streams of a round concurrently:
 * concurrent appends are what puts positions out of commit order on PostgreSQL.
 *
 * Returns the position of the event that comes LAST IN DELIVERY ORDER (not the highest position), so that
 * waiting for it means waiting for all of them: every earlier round committed before the last round began.
 */
export async function appendMany(store: EventStore, streams: number, perStream: number, prefix = 'thing-'): Promise<bigint> {
  let round: bigint[] = []
  for (let i = 0; i < perStream; i++) {
    const results = await Promise.all(
      Array.from({ length: streams }, (_, s) => store.append(`${prefix}${s}`, [newEvent(`T${(i * 7 + s) % 5}`, { i })])),
    )
    round = results.map((r) => r.position)
  }
  let last: { position: bigint; checkpoint: Checkpoint } | null = null
  for (const position of round) {
    const checkpoint = await store.checkpointOf(position)
    if (checkpoint && (!last || compareCheckpoints(checkpoint, last.checkpoint) > 0)) last = { position, checkpoint }
  }
  if (!last) throw new Error('appendMany appended nothing')
  return last.position
}
