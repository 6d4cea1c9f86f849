import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchCluster } from './lib/cluster.js'
import { rateEntry, type Entry } from './lib/report.js'
import { PEER } from './lib/peer.js'
import { runTask } from './lib/spawn.js'
import type { AppendParams, AppendShape, Contender, Timed } from './lib/tasks.js'
import { median } from './lib/workload.js'

/** Workload sizes: the for the full run, smaller for `--quick`. */
export interface Sizes {
  appends: { sequential: number; sequentialStreams: number; concurrent: number; concurrentStreams: number; batches: number; warmup: number; rounds: number }
  reads: { events: number; runs: number; rounds: number }
  catchUp: { events: number; streams: number }
  rebuild: { events: number }
  http: { seconds: number; connections: number; cases: number }
  replay: { events: number; runs: number }
  verify: { events: number; runs: number }
}

export const FULL: Sizes = {
  appends: { sequential: 20_000, sequentialStreams: 1_000, concurrent: 20_000, concurrentStreams: 1_000, batches: 200, warmup: 200, rounds: 3 },
  reads: { events: 10_000, runs: 4, rounds: 3 },
  catchUp: { events: 100_000, streams: 1_000 },
  rebuild: { events: 100_000 },
  http: { seconds: 20, connections: 32, cases: 500 },
  replay: { events: 10_000, runs: 15 },
  verify: { events: 200_000, runs: 1 },
}

export const QUICK: Sizes = {
  appends: { sequential: 400, sequentialStreams: 100, concurrent: 800, concurrentStreams: 200, batches: 20, warmup: 30, rounds: 1 },
  reads: { events: 2_000, runs: 3, rounds: 1 },
  catchUp: { events: 10_000, streams: 200 },
  rebuild: { events: 5_000 },
  http: { seconds: 2, connections: 32, cases: 50 },
  replay: { events: 2_000, runs: 5 },
  verify: { events: 20_000, runs: 1 },
}

const APPENDERS = 16
const BATCH = 100
const SEED = 20_260_105

/** The same contenders in another order each round, so none always runs first or last. */
function rotate<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

const count = (n: number) => n.toLocaleString('en-US')

/**
 * 1. Appends: ours vs one prepared INSERT per event (per batch: one multi-row INSERT, and COPY) vs Emmett. Each
 * workload is split into rounds; the contenders' rounds are interleaved and the rate is all events ÷ all time.
 */
export async function appends(cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const s = sizes.appends
  const db = (name: string) => cluster.database(name)
  const urls = async (name: string) => {
    const [sequential, concurrent, batches] = await Promise.all([db(`${name}_seq`), db(`${name}_conc`), db(`${name}_batch`)])
    return { sequential, concurrent, batches }
  }
  const [plainUrls, oursUrls, emmettUrls, copyUrl] = await Promise.all([urls('plain'), urls('ours'), urls('emmett'), db('copy_batch')])
  const runners: { key: string; contender: Contender; params: Pick<AppendParams, 'urls' | 'only' | 'copy'> }[] = [
    { key: 'plain', contender: 'plain', params: { urls: plainUrls } },
    { key: 'copy', contender: 'plain', params: { urls: { sequential: copyUrl, concurrent: copyUrl, batches: copyUrl }, only: ['batches'], copy: true } },
    { key: 'ours', contender: 'ours', params: { urls: oursUrls } },
    { key: 'emmett', contender: 'emmett', params: { urls: emmettUrls } },
  ]
  const totals = new Map<string, Record<AppendShape, Timed>>()
  for (let round = 0; round < s.rounds; round++) {
    for (const runner of rotate(runners, round)) {
      const result = await runTask(runner.contender, 'appends', {
        ...runner.params,
        round,
        rounds: s.rounds,
        seed: SEED,
        sequential: { events: s.sequential, streams: s.sequentialStreams },
        concurrent: { events: s.concurrent, streams: s.concurrentStreams, appenders: APPENDERS },
        batches: { batches: s.batches, batchSize: BATCH, streams: Math.max(1, s.batches / 10) },
        warmup: s.warmup,
      })
      const total = totals.get(runner.key) ?? { sequential: { events: 0, seconds: 0 }, concurrent: { events: 0, seconds: 0 }, batches: { events: 0, seconds: 0 } }
      for (const [shape, timed] of Object.entries(result) as [AppendShape, Timed][]) {
        total[shape] = { events: total[shape].events + timed.events, seconds: total[shape].seconds + timed.seconds }
      }
      totals.set(runner.key, total)
    }
  }
  const rate = (key: string, shape: AppendShape) => totals.get(key)![shape].events / totals.get(key)![shape].seconds
  const peerOf = (shape: AppendShape, baseline: number) => ({ name: PEER, value: rate('emmett', shape), ratio: rate('emmett', shape) / baseline })
  const entry = (shape: AppendShape, title: string, baselineKey: string, baselineName: string, minRatio: number | undefined) =>
    rateEntry({
      shape: title,
      unit: 'events/s',
      ours: rate('ours', shape),
      baseline: rate(baselineKey, shape),
      baselineName,
      target: minRatio === undefined ? null : `≥ ${minRatio}×`,
      ...(minRatio === undefined ? {} : { minRatio }),
      peer: peerOf(shape, rate(baselineKey, shape)),
    })
  return [
    entry('sequential', `1a appends, sequential (${count(s.sequential)} single-event, ${count(s.sequentialStreams)} streams)`, 'plain', 'prepared INSERT', 0.7),
    entry('concurrent', `1b appends, ${APPENDERS} concurrent appenders (${count(s.concurrent)} single-event)`, 'plain', 'prepared INSERT', 0.6),
    entry('batches', `1c appends, ${s.batches} batches of ${BATCH}`, 'plain', 'multi-row INSERT', 0.8),
    entry('batches', `1c appends, ${s.batches} batches of ${BATCH}, vs COPY`, 'copy', 'COPY', undefined),
  ]
}

/** 2. Reads of one long stream: ours vs one plain SELECT vs Emmett, in interleaved rounds; the median of all reads. */
export async function reads(cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const { events, runs, rounds } = sizes.reads
  const contenders: Contender[] = ['plain', 'ours', 'emmett']
  const url = new Map<Contender, string>(
    await Promise.all(contenders.map(async (c) => [c, await cluster.database(`${c}_read`)] as const)),
  )
  const rates = new Map<Contender, number[]>(contenders.map((c) => [c, []]))
  for (let round = 0; round < rounds; round++) {
    for (const contender of rotate(contenders, round)) {
      const result = await runTask(contender, 'reads', { url: url.get(contender)!, events, runs, seed: SEED, write: round === 0 })
      rates.get(contender)!.push(...result.runs)
    }
  }
  const [plain, ours, peer] = contenders.map((c) => median(rates.get(c)!)) as [number, number, number]
  return [
    rateEntry({
      shape: `2 read one ${count(events)}-event stream`,
      unit: 'events/s',
      ours,
      baseline: plain,
      baselineName: 'one SELECT',
      target: '≥ 0.7×',
      minRatio: 0.7,
      peer: { name: PEER, value: peer, ratio: peer / plain },
    }),
  ]
}

/**
 * 3. Catch-up: events written by 16 concurrent appenders, then a fresh reader from the start. Ours and Emmett each
 * read what they wrote; the baseline pages through our table by position (safe only because writing has ended).
 */
export async function catchUp(cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const { events, streams } = sizes.catchUp
  // Appends of 10 events: 16 writers still commit out of position order, at a tenth of the commits.
  const write = { events, streams, appenders: APPENDERS, batchSize: 10 }
  const [oursUrl, peerUrl] = await Promise.all([cluster.database('ours_catchup'), cluster.database('emmett_catchup')])
  const oursWrite = await runTask('ours', 'catchup-write', { url: oursUrl, ...write })
  const peerWrite = await runTask('emmett', 'catchup-write', { url: peerUrl, ...write })
  await cluster.checkpoint()
  const read = { events, idleMs: 1_000 }
  const ours = await runTask('ours', 'catchup-read', { url: oursUrl, ...read })
  const plain = await runTask('plain', 'catchup-read', { url: oursUrl, ...read })
  const peer = await runTask('emmett', 'catchup-read', { url: peerUrl, ...read })
  return [
    rateEntry({
      shape: `3 catch-up from the start, ${count(events)} events by ${APPENDERS} appenders`,
      unit: 'events/s',
      ours: ours.rate,
      baseline: plain.rate,
      baselineName: 'keyset SELECT by position',
      target: '≥ 50,000 events/s, 0 missed, 0 duplicated',
      met: ours.rate >= 50_000 && ours.missed === 0 && ours.duplicated === 0,
      missed: ours.missed,
      duplicated: ours.duplicated,
      peer: { name: PEER, value: peer.rate, ratio: peer.rate / plain.rate, missed: peer.missed, duplicated: peer.duplicated },
      detail: {
        delivered: ours.delivered,
        peerDelivered: peer.delivered,
        baselineMissed: plain.missed,
        writeRate: { ours: oursWrite.rate, peer: peerWrite.rate },
      },
    }),
  ]
}

/** 4. Rebuild of every case read model from a realistic log vs inserting the same final rows directly. */
export async function rebuild(cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const url = await cluster.database('rebuild')
  const setup = await runTask('ours', 'rebuild-setup', { url, events: sizes.rebuild.events, seed: 9 })
  await cluster.checkpoint()
  const ours = await runTask('ours', 'rebuild', { url, events: setup.events }, 600_000)
  const plain = await runTask('plain', 'rebuild', { url, events: setup.events })
  const shape = `4 rebuild all case read models, ${setup.events.toLocaleString('en-US')} events (${setup.cases.toLocaleString('en-US')} cases)`
  return [
    rateEntry({
      shape,
      unit: 'events/s',
      ours: ours.rate,
      baseline: plain.rate,
      baselineName: 'multi-row INSERT of the final rows',
      target: '≥ 0.5×',
      minRatio: 0.5,
      detail: { rows: ours.rows, baselineRows: plain.rows, seconds: ours.seconds, baselineSeconds: plain.seconds, perProjection: ours.perProjection },
    }),
    {
      shape: `${shape}: peak RSS`,
      unit: 'MB',
      ours: ours.peakRssMb,
      baseline: plain.peakRssMb,
      baselineName: 'baseline process',
      ratio: ours.peakRssMb / plain.peakRssMb,
      target: '< 300 MB',
      met: ours.peakRssMb < 300,
    },
  ]
}

/** 6. History replay: the state of a long case as of its middle. */
export async function replay(cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const url = await cluster.database('replay')
  const setup = await runTask('ours', 'replay-setup', { url, events: sizes.replay.events })
  const params = { url, streamId: setup.streamId, revision: Math.floor(setup.events / 2), runs: sizes.replay.runs }
  const ours = await runTask('ours', 'replay', params)
  const plain = await runTask('plain', 'replay', params)
  if (ours.status !== plain.status) throw new Error(`replay: ours ends ${ours.status}, the baseline ${plain.status}`)
  return [
    {
      shape: `6 history replay, ${setup.events.toLocaleString('en-US')}-event case as of revision ${params.revision.toLocaleString('en-US')}`,
      unit: 'ms/replay',
      ours: ours.ms,
      baseline: plain.ms,
      baselineName: 'one SELECT + fold',
      ratio: plain.ms / ours.ms,
      target: null,
      met: null,
    },
  ]
}

/** 7. `cli verify` over a whole-log export vs SHA-256 of the same bytes, in the same process. */
export async function verify(_cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-export-'))
  try {
    const setup = await runTask('ours', 'verify-setup', { dir, events: sizes.verify.events })
    const result = await runTask('ours', 'verify', { file: setup.file, events: setup.events, runs: sizes.verify.runs }, 600_000)
    const shape = `7 cli verify, export of ${setup.events.toLocaleString('en-US')} events (${(setup.bytes / 1e6).toFixed(0)} MB)`
    return [
      rateEntry({
        shape,
        unit: 'MB/s',
        ours: result.ours.mbPerSecond,
        baseline: result.sha256.mbPerSecond,
        baselineName: 'SHA-256 of the bytes',
        target: '≥ 0.5×',
        minRatio: 0.5,
        detail: { summary: result.summary },
      }),
      rateEntry({
        shape,
        unit: 'events/s',
        ours: result.ours.eventsPerSecond,
        baseline: result.sha256.eventsPerSecond,
        baselineName: 'SHA-256 of the bytes',
        target: '≥ 0.5×',
        minRatio: 0.5,
      }),
    ]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
