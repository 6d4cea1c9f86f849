import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** A server's Prometheus registry (prom-client). One per server: two apps in one process never share a series. */
export type MetricsRegistry = Registry

/** Seconds; from a cache hit to a slow `waitFor`. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

type HttpLabel = 'method' | 'route' | 'status_code'

/** What the HTTP edge records per answered request. */
export interface HttpMetrics {
  requests: Counter<HttpLabel>
  duration: Histogram<HttpLabel>
}

/**
 * A fresh registry with prom-client's default process and Node.js metrics (CPU, memory, event-loop lag, GC,
 * handles: `process_resident_memory_bytes` among them) and ours: `http_requests_total` and
 * `http_request_duration_seconds` by method, route and status, `process_uptime_seconds` and
 * `nodejs_heap_used_bytes`. Every metric is registered with this registry only, never prom-client's global one.
 *
 * The default metrics' GC observer and event-loop monitor live as long as the process (prom-client has no way to
 * stop them); `registry.clear()` on close only stops them from being reported.
 *
 * @example
 * const { registry, http } = createMetricsRegistry()
 * http.requests.inc({ method: 'GET', route: '/health/live', status_code: '200' })
 * const text = await registry.metrics()
 */
export function createMetricsRegistry(): { registry: MetricsRegistry; http: HttpMetrics } {
  const registry = new Registry()
  const registers = [registry]
  collectDefaultMetrics({ register: registry })
  const labelNames: HttpLabel[] = ['method', 'route', 'status_code']
  const http: HttpMetrics = {
    requests: new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames, registers }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer HTTP requests',
      labelNames,
      buckets: [...DEFAULT_BUCKETS],
      registers,
    }),
  }
  const started = Date.now()
  new Gauge({
    name: 'process_uptime_seconds',
    help: 'Seconds since the process started serving',
    registers,
    collect() {
      this.set((Date.now() - started) / 1000)
    },
  })
  new Gauge({
    name: 'nodejs_heap_used_bytes',
    help: 'V8 heap in use',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed)
    },
  })
  return { registry, http }
}
