/** Where progress goes: the process's stderr, or a test's recorder. */
export interface ProgressSink {
  /** Redraw in place only on a terminal; anything else (a pipe, a CI log) gets one summary line. */
  readonly isTTY?: boolean
  write(text: string): unknown
}

export interface ProgressOptions {
  /** Names the work in each line, e.g. `verify`. */
  label: string
  /** No sink, or `quiet`: nothing is written. */
  sink: ProgressSink | undefined
  quiet?: boolean
  /** What is counted (default `events`). */
  unit?: string
  /** Milliseconds between redraws at most (default 100: about ten a second, which a terminal shows smoothly). */
  intervalMs?: number
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number
}

/** Progress of one long command: `update` as often as you like, `finish` once at the end (also after a failure). */
export interface Progress {
  /** `total` is what the command expects to count; when unknown, or passed, no ETA is shown. */
  update(done: number, total?: number): void
  finish(): void
}

/**
 * Progress on stderr for `rebuild`, `export`, `verify` and `audit`: on a terminal one line redrawn in place (done /
 * total, rate, ETA), at most every `intervalMs`; elsewhere only the summary at the end, so a log gets one line, not
 * thousands. Either way the last line is the summary. Written here rather than taken from `cli-progress`, whose
 * non-terminal mode prints a line per interval instead of one summary and which needs a stopped bar on failure.
 *
 * @example
 * const progress = startProgress({ label: 'export', sink: io.progress, quiet: values.quiet })
 * try { for await (const e of events) progress.update(++n, total) } finally { progress.finish() }
 */
export function startProgress(options: ProgressOptions): Progress {
  const sink = options.quiet ? undefined : options.sink
  const now = options.now ?? Date.now
  const unit = options.unit ?? 'events'
  const intervalMs = options.intervalMs ?? 100
  const startedAt = now()
  let done = 0
  let total: number | undefined
  let drawnAt: number | undefined
  let finished = false

  const line = (at: number): string => {
    const seconds = Math.max(at - startedAt, 1) / 1000
    const rate = done / seconds
    const of = total !== undefined && total >= done ? ` / ${count(total)}` : ''
    const percent = of && total! > 0 ? ` (${Math.floor((done / total!) * 100)} %)` : ''
    const eta = of && rate > 0 ? `, ETA ${duration((total! - done) / rate)}` : ''
    return `${options.label}: ${count(done)}${of} ${unit}${percent}, ${count(Math.round(rate))} ${unit}/s${eta}`
  }

  return {
    update(value, expected) {
      done = value
      if (expected !== undefined) total = expected
      if (!sink?.isTTY || finished) return
      const at = now()
      if (drawnAt !== undefined && at - drawnAt < intervalMs) return
      drawnAt = at
      sink.write(`\r${line(at)}\x1b[K`)
    },
    finish() {
      if (finished) return
      finished = true
      if (!sink) return
      const at = now()
      const seconds = Math.max(at - startedAt, 1) / 1000
      const summary = `${options.label}: ${count(done)} ${unit} in ${seconds.toFixed(1)} s (${count(Math.round(done / seconds))} ${unit}/s)`
      sink.write(sink.isTTY ? `\r${summary}\x1b[K\n` : `${summary}\n`)
    },
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}

function duration(seconds: number): string {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${s % 60} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}
