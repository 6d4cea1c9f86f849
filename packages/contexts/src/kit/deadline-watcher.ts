import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Decider } from '@pc/domain'
import { handleCommand, type CommandMetadata, type EventCodec, type EventStore } from '@pc/event-store'
import type { Database } from '@pc/read-models'

/** One deadline that has passed, and the command that records it. */
export interface DueCommand {
  /** Names the deadline in logs, without personal data (`case-1f…: response`). */
  readonly label: string
  readonly streamId: string
  /**
   * Sends the command through the generic command handler (read stream, fold, decide, append). The decider is what
   * makes this safe to repeat: a breach already recorded decides nothing, so a stale read model, a restart or a
   * second instance never records one twice.
   */
  send(store: EventStore, at: { now: string; metadata: CommandMetadata }): Promise<{ appended: number; position: bigint }>
}

/**
 * Something with deadlines the SLA worker watches (DESIGN §4): SLA clocks, and later a mediation's deadline and
 * the due dates of an agreement's terms. Each context lists its watchers in its descriptor.
 */
export interface DeadlineWatcher {
  /** Stable name, in logs. */
  readonly name: string
  /**
   * The deadlines past at `now` (ISO) that the read models do not show as recorded yet. May yield a few that the
   * decider then finds recorded after all (the read model lags the log); must not miss one for long.
   */
  due(db: Kysely<Database>, now: string): AsyncIterable<DueCommand>
}

/** What a watcher whose commands all go to one decider finds. */
export interface FoundDeadline<Command> {
  streamId: string
  label: string
  command: Command
}

export interface DeciderWatcherSpec<Command, Event, State, Context> {
  name: string
  decider: Decider<Command, Event, State, Context>
  codec: EventCodec<Event>
  /** The decider's context at the worker's `now`. */
  context(now: string): Context
  find(db: Kysely<Database>, now: string): AsyncIterable<FoundDeadline<Command>>
}

/**
 * A watcher whose commands go to one decider: `find` says what is due, this sends it through `handleCommand`.
 *
 * @example
 * export const mediationDeadlineWatcher = deciderWatcher({
 *   name: 'mediation-deadline',
 *   decider: caseDecider,
 *   codec: caseEventCodec,
 *   context: (now) => ({ now, slaPolicy: DEFAULT_SLA_POLICY }),
 *   async *find(db, now) { … yield { streamId: caseStreamId(id), label: `case-${id}: mediation deadline`, command } },
 * })
 */
export function deciderWatcher<Command, Event, State, Context>(
  spec: DeciderWatcherSpec<Command, Event, State, Context>,
): DeadlineWatcher {
  return {
    name: spec.name,
    async *due(db, now) {
      for await (const found of spec.find(db, now)) {
        yield {
          label: found.label,
          streamId: found.streamId,
          send: (store, at) =>
            handleCommand(store, spec.decider, found.streamId, found.command, {
              codec: spec.codec,
              context: () => spec.context(at.now),
              metadata: at.metadata,
              eventIds: () => randomUUID(),
            }),
        }
      }
    },
  }
}
