import pg from 'pg'
import type { AppendParams, AppendResult, AppendShape, CatchUpWriteParams, CatchUpWriteResult, ReadParams, ReadResult, Timed } from './tasks.js'
import { batchPlan, countEvents, roundSlice, singleEventPlan, timePlan, type PlannedAppend } from './workload.js'

/**
 * The measuring loops of shapes 1–3, written once: a contender only says how it appends and reads, so every
 * contender is timed by the same code around the same work.
 */

/** A contender's writer on one database. */
export interface AppendTarget {
  /** Turns the plan into the contender's own event objects before the clock starts (optional). */
  prepare?(plan: readonly PlannedAppend[]): void
  append(step: PlannedAppend): Promise<unknown>
  close(): Promise<void>
}

/** `batched` is true for shape 1c (the plain contender answers with a multi-row INSERT or COPY). */
export type OpenAppendTarget = (url: string, batched: boolean) => Promise<AppendTarget>

/** A contender's reader of one stream. */
export interface ReadTarget extends AppendTarget {
  /** Reads the whole stream and answers how many events it held. */
  read(streamId: string): Promise<number>
}

/** Flushes dirty pages so a timed run does not pay for what ran before it. */
async function checkpoint(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('checkpoint')
  } finally {
    await client.end()
  }
}

async function measure(
  open: OpenAppendTarget,
  url: string,
  batched: boolean,
  warmup: readonly PlannedAppend[],
  slice: readonly PlannedAppend[],
  appenders: number,
): Promise<Timed> {
  const target = await open(url, batched)
  try {
    target.prepare?.([...warmup, ...slice])
    await timePlan(warmup, appenders, (step) => target.append(step))
    await checkpoint(url)
    return { events: countEvents(slice), seconds: await timePlan(slice, appenders, (step) => target.append(step)) }
  } finally {
    await target.close()
  }
}

/**
 * One round of shape 1: a warm-up on streams of its own, a CHECKPOINT (so no contender pays for the previous one's
 * dirty pages), then this round's slice of each workload, timed.
 */
export async function runAppends(p: AppendParams, open: OpenAppendTarget): Promise<AppendResult> {
  const { sequential: seq, concurrent: conc, batches: bat } = p
  const slice = (plan: PlannedAppend[]) => roundSlice(plan, p.round, p.rounds)
  const warm = () => singleEventPlan(p.warmup, 50, { prefix: 'warm-' })
  const runs: Record<AppendShape, () => Promise<Timed>> = {
    sequential: () => measure(open, p.urls.sequential, false, warm(), slice(singleEventPlan(seq.events, seq.streams, { seed: p.seed })), 1),
    concurrent: () =>
      measure(open, p.urls.concurrent, false, warm(), slice(singleEventPlan(conc.events, conc.streams, { seed: p.seed + 1 })), conc.appenders),
    batches: () =>
      measure(
        open,
        p.urls.batches,
        true,
        batchPlan(5, bat.batchSize, 5, { prefix: 'warm-' }),
        slice(batchPlan(bat.batches, bat.batchSize, bat.streams, { seed: p.seed + 2 })),
        1,
      ),
  }
  const result: AppendResult = {}
  for (const shape of p.only ?? (Object.keys(runs) as AppendShape[])) result[shape] = await runs[shape]()
  return result
}

/** One round of shape 2: the first round writes the stream in appends of 500; each round reads it `runs` times after one untimed read. */
export async function runReads(p: ReadParams, target: ReadTarget): Promise<ReadResult> {
  try {
    const plan = batchPlan(Math.ceil(p.events / 500), 500, 1, { seed: p.seed })
    const streamId = plan[0]!.streamId
    if (p.write) {
      target.prepare?.(plan)
      await timePlan(plan, 1, (step) => target.append(step))
    }
    const expected = countEvents(plan)
    const readOnce = async () => {
      const n = await target.read(streamId)
      if (n !== expected) throw new Error(`read ${n} events of ${streamId}, wrote ${expected}`)
    }
    await readOnce()
    const runs: number[] = []
    for (let i = 0; i < p.runs; i++) {
      const started = performance.now()
      await readOnce()
      runs.push(expected / ((performance.now() - started) / 1000))
    }
    return { runs }
  } finally {
    await target.close()
  }
}

/** The writing half of shape 3: `appenders` concurrent appenders of `batchSize`-event appends. */
export async function runCatchUpWrite(p: CatchUpWriteParams, target: AppendTarget): Promise<CatchUpWriteResult> {
  try {
    const plan = batchPlan(Math.ceil(p.events / p.batchSize), p.batchSize, p.streams)
    target.prepare?.(plan)
    return { rate: countEvents(plan) / (await timePlan(plan, p.appenders, (step) => target.append(step))) }
  } finally {
    await target.close()
  }
}
