/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, histograms and gauges read at scrape
 * time. Enough for request rates and latencies, projection lag and SLA breach counts, without a dependency.
 *
 * @example
 * const appended = metrics.counter('events_appended_total', 'Events appended', ['stream_type'])
 * appended.inc({ stream_type: 'case' })
 */
export type Labels = Readonly<Record<string, string>>

export interface Counter {
  inc(labels?: Labels, by?: number): void
}

export interface Histogram {
  observe(labels: Labels, value: number): void
}

interface Metric {
  render(): string
}

/** Seconds; from a cache hit to a slow `waitFor`. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}

function labelText(labelNames: readonly string[], labels: Labels, extra?: [string, string]): string {
  const pairs = labelNames.map((name) => `${name}="${escapeLabel(labels[name] ?? '')}"`)
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`)
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

function key(labelNames: readonly string[], labels: Labels): string {
  return JSON.stringify(labelNames.map((name) => labels[name] ?? ''))
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}\n# TYPE ${name} ${type}\n`
}

export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>()

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const values = new Map<string, { labels: Labels; value: number }>()
    this.#add(name, {
      render: () =>
        header(name, help, 'counter') +
        [...values.values()].map((v) => `${name}${labelText(labelNames, v.labels)} ${v.value}\n`).join(''),
    })
    return {
      inc(labels = {}, by = 1) {
        const k = key(labelNames, labels)
        const entry = values.get(k) ?? { labels, value: 0 }
        entry.value += by
        values.set(k, entry)
      },
    }
  }

  histogram(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    buckets: readonly number[] = DEFAULT_BUCKETS,
  ): Histogram {
    const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>()
    this.#add(name, {
      render: () => {
        let text = header(name, help, 'histogram')
        for (const s of series.values()) {
          buckets.forEach((le, i) => {
            text += `${name}_bucket${labelText(labelNames, s.labels, ['le', String(le)])} ${s.counts[i]}\n`
          })
          text += `${name}_bucket${labelText(labelNames, s.labels, ['le', '+Inf'])} ${s.count}\n`
          text += `${name}_sum${labelText(labelNames, s.labels)} ${s.sum}\n`
          text += `${name}_count${labelText(labelNames, s.labels)} ${s.count}\n`
        }
        return text
      },
    })
    return {
      observe(labels, value) {
        const k = key(labelNames, labels)
        let s = series.get(k)
        if (!s) {
          s = { labels, counts: buckets.map(() => 0), sum: 0, count: 0 }
          series.set(k, s)
        }
        // Buckets are cumulative: an observation counts in every bucket whose bound it does not exceed.
        buckets.forEach((le, i) => {
          if (value <= le) s.counts[i] = (s.counts[i] ?? 0) + 1
        })
        s.sum += value
        s.count += 1
      },
    }
  }

  /** A value read when scraped (memory, uptime, a projection's lag). */
  gauge(name: string, help: string, read: () => number): void {
    this.#add(name, { render: () => `${header(name, help, 'gauge')}${name} ${read()}\n` })
  }

  render(): string {
    return [...this.#metrics.values()].map((m) => m.render()).join('')
  }

  #add(name: string, metric: Metric): void {
    if (!NAME.test(name)) throw new TypeError(`invalid metric name: ${name}`)
    if (this.#metrics.has(name)) throw new TypeError(`metric already registered: ${name}`)
    this.#metrics.set(name, metric)
  }
}
