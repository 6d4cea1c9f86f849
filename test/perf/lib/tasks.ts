/**
 * What the orchestrator (`bench.ts`) asks of a contender's child process, and what comes back. One table of task
 * names to parameter and result types, so both sides of the IPC channel are type-checked against it.
 *
 * Rates are per second of wall time measured inside the child, around the measured work only (setup, schema
 * creation and warm-up excluded).
 */

/**
 * One round of shape 1 for one contender. The orchestrator splits each workload into `rounds` consecutive slices
 * and runs the contenders' rounds interleaved, so slow minutes on a shared machine fall on every contender alike.
 * Each sub-shape has its own database, kept across the rounds (the streams continue).
 */
export interface AppendParams {
  urls: { sequential: string; concurrent: string; batches: string }
  round: number
  rounds: number
  /** Makes the stream ids the same in every round's process. */
  seed: number
  sequential: { events: number; streams: number }
  concurrent: { events: number; streams: number; appenders: number }
  batches: { batches: number; batchSize: number; streams: number }
  /** Appends made before each timed run, to other streams (JIT, prepared statements, pool connections). */
  warmup: number
  /** The sub-shapes to run (default all). */
  only?: AppendShape[]
  /** Plain only: run the batches through COPY instead of a multi-row INSERT. */
  copy?: boolean
}

export type AppendShape = 'sequential' | 'concurrent' | 'batches'

export interface Timed {
  events: number
  seconds: number
}

export type AppendResult = Partial<Record<AppendShape, Timed>>

/** One round of shape 2: the first round writes the stream, every round reads it `runs` times. */
export interface ReadParams {
  url: string
  events: number
  runs: number
  seed: number
  write: boolean
}

export interface ReadResult {
  /** Events/s of each timed read. */
  runs: number[]
}

export interface CatchUpWriteParams {
  url: string
  events: number
  streams: number
  appenders: number
  /** Events per append. */
  batchSize: number
}

export interface CatchUpWriteResult {
  rate: number
}

export interface CatchUpReadParams {
  url: string
  events: number
  /** No event for this long after the last one: the reader has everything it will ever get. */
  idleMs: number
}

export interface CatchUpReadResult {
  rate: number
  delivered: number
  missed: number
  duplicated: number
}

export interface RebuildSetupParams {
  url: string
  events: number
  seed: number
}

export interface RebuildSetupResult {
  events: number
  cases: number
}

export interface RebuildParams {
  url: string
  events: number
}

export interface RebuildResult {
  rate: number
  seconds: number
  /** Peak resident set size of the contender's process, MB. */
  peakRssMb: number
  rows: number
  /** Seconds per projection (ours: each one re-reads the whole log). */
  perProjection?: Record<string, number>
}

export interface ReplaySetupParams {
  url: string
  events: number
}

export interface ReplaySetupResult {
  streamId: string
  events: number
}

export interface ReplayParams {
  url: string
  streamId: string
  /** Replay the stream up to and including this revision. */
  revision: number
  runs: number
}

export interface ReplayResult {
  /** Median milliseconds per replay. */
  ms: number
  status: string
}

export interface VerifySetupParams {
  dir: string
  events: number
}

export interface VerifySetupResult {
  file: string
  bytes: number
  events: number
}

export interface VerifyParams {
  file: string
  events: number
  runs: number
}

export interface VerifyResult {
  summary: string
  /** `cli verify`'s check of the export, and SHA-256 over the same file's bytes, in the same process. */
  ours: { seconds: number; mbPerSecond: number; eventsPerSecond: number }
  sha256: { seconds: number; mbPerSecond: number; eventsPerSecond: number }
}

export interface HttpServerParams {
  url: string
  /** Cases reported before the load so the note command has targets. */
  cases: number
}

export interface HttpServerResult {
  port: number
  token: string
  caseIds: string[]
}

export interface TaskMap {
  appends: { params: AppendParams; result: AppendResult }
  reads: { params: ReadParams; result: ReadResult }
  'catchup-write': { params: CatchUpWriteParams; result: CatchUpWriteResult }
  'catchup-read': { params: CatchUpReadParams; result: CatchUpReadResult }
  'rebuild-setup': { params: RebuildSetupParams; result: RebuildSetupResult }
  rebuild: { params: RebuildParams; result: RebuildResult }
  'replay-setup': { params: ReplaySetupParams; result: ReplaySetupResult }
  replay: { params: ReplayParams; result: ReplayResult }
  'verify-setup': { params: VerifySetupParams; result: VerifySetupResult }
  verify: { params: VerifyParams; result: VerifyResult }
  'http-server': { params: HttpServerParams; result: HttpServerResult }
}

export type TaskName = keyof TaskMap

/** A contender module implements the tasks it takes part in. */
export type Tasks = { [K in TaskName]?: (params: TaskMap[K]['params']) => Promise<TaskMap[K]['result']> }

export type Contender = 'ours' | 'plain' | 'emmett' | 'http'
