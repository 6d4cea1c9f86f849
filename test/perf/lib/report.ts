/**
 * One figure of the benchmark, as written to `bench-results.json` and printed.
 *
 * `ratio` always reads "how fast are we next to the baseline": ours ÷ baseline for rates, baseline ÷ ours for times
 * (ms). For memory (MB) it is ours ÷ baseline, lower being better. `met` says whether the issue's target holds.
 */
export interface Entry {
  shape: string
  unit: string
  ours: number
  baseline: number
  /** What the baseline is. */
  baselineName: string
  ratio: number
  /** The target, in words; null where the issue sets none. */
  target: string | null
  met: boolean | null
  peer?: { name: string; value: number; ratio: number; missed?: number; duplicated?: number }
  missed?: number
  duplicated?: number
  /** Anything else worth keeping with the figure (latencies, row counts). */
  detail?: Record<string, unknown>
}

export function rateEntry(
  fields: Omit<Entry, 'ratio' | 'met'> & { minRatio?: number; met?: boolean | null },
): Entry {
  const { minRatio, met, ...rest } = fields
  const ratio = rest.ours / rest.baseline
  return { ...rest, ratio, met: met !== undefined ? met : minRatio === undefined ? null : ratio >= minRatio }
}

function figure(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (value >= 100) return Math.round(value).toLocaleString('en-US')
  if (value >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

interface Latency {
  ours: { p50: number; p99: number }
  baseline: { p50: number; p99: number }
}

/** The last column: missed/duplicated events (the peer's in parentheses), or latencies. */
function notes(e: Entry): string {
  if (e.missed !== undefined) {
    const peer = e.peer?.missed === undefined ? '' : `; peer ${e.peer.missed}/${e.peer.duplicated}`
    return `missed/dup ${e.missed}/${e.duplicated}${peer}`
  }
  const latency = e.detail?.latencyMs as Latency | undefined
  if (latency) return `p50/p99 ${latency.ours.p50}/${latency.ours.p99} ms; bare ${latency.baseline.p50}/${latency.baseline.p99} ms`
  return ''
}

/** The results as a fixed-width text table. */
export function formatTable(entries: readonly Entry[]): string {
  const header = ['shape', 'unit', 'ours', 'baseline', 'ratio', 'target', 'met', 'peer (ratio)', 'notes']
  const rows = entries.map((e) => [
    e.shape,
    e.unit,
    figure(e.ours),
    `${figure(e.baseline)} ${e.baselineName}`,
    `${e.ratio.toFixed(2)}×`,
    e.target ?? '—',
    e.met === null ? '—' : e.met ? 'yes' : 'NO',
    e.peer ? `${figure(e.peer.value)} (${e.peer.ratio.toFixed(2)}×)` : '',
    notes(e),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n')
}

/** The same table in Markdown, for the README's performance section. */
export function formatMarkdown(entries: readonly Entry[]): string {
  const header = '| shape | unit | ours | baseline | ratio | target | met | peer (ratio) | notes |'
  const rule = '|---|---|--:|---|--:|---|---|--:|---|'
  const rows = entries.map(
    (e) =>
      `| ${e.shape} | ${e.unit} | ${figure(e.ours)} | ${figure(e.baseline)} ${e.baselineName} | ${e.ratio.toFixed(2)}× | ${e.target ?? '—'} | ` +
      `${e.met === null ? '—' : e.met ? 'yes' : '**no**'} | ${e.peer ? `${figure(e.peer.value)} (${e.peer.ratio.toFixed(2)}×)` : ''} | ` +
      `${notes(e)} |`,
  )
  return [header, rule, ...rows].join('\n')
}
