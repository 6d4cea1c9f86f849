import autocannon from 'autocannon'
import type { BenchCluster } from './lib/cluster.js'
import { BARE_PATH, NOTE_BODY, REPORT_BODY } from './lib/http-payloads.js'
import { rateEntry, type Entry } from './lib/report.js'
import { startTask } from './lib/spawn.js'
import type { Sizes } from './shapes.js'

interface Load {
  rate: number
  p50: number
  p99: number
  requests: number
}

/** One autocannon run from this process against the server child; any error or non-2xx answer fails the run. */
async function load(options: {
  port: number
  seconds: number
  connections: number
  body: string
  headers: Record<string, string>
  path: (i: number) => string
}): Promise<Load> {
  let i = 0
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}`,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        setupRequest: (request) => ({ ...request, path: options.path(i++) }),
      },
    ],
  })
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(`load on ${options.path(0)}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`)
  }
  return { rate: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total }
}

/**
 * 5. The command API under autocannon (32 connections): reporting cases, and notes on existing cases, each next to a
 * bare route on the same server that INSERTs the same body. Each route gets a short warm-up first.
 */
export async function commandApi(cluster: BenchCluster, sizes: Sizes): Promise<Entry[]> {
  const { seconds, connections, cases } = sizes.http
  const server = await startTask('http', 'http-server', { url: await cluster.database('http'), cases })
  try {
    const { port, token, caseIds } = server.result
    const auth = { authorization: `Bearer ${token}` }
    const warmup = Math.max(1, Math.round(seconds / 10))
    const run = async (body: string, headers: Record<string, string>, path: (i: number) => string) => {
      await load({ port, seconds: warmup, connections, body, headers, path })
      await cluster.checkpoint()
      return load({ port, seconds, connections, body, headers, path })
    }
    const report = await run(REPORT_BODY, auth, () => '/v1/cases')
    const bareReport = await run(REPORT_BODY, {}, () => BARE_PATH)
    const note = await run(NOTE_BODY, auth, (i) => `/v1/cases/${caseIds[i % caseIds.length]}/note`)
    const bareNote = await run(NOTE_BODY, {}, () => BARE_PATH)
    const entry = (shape: string, ours: Load, bare: Load) =>
      rateEntry({
        shape,
        unit: 'requests/s',
        ours: ours.rate,
        baseline: bare.rate,
        baselineName: 'bare route, one INSERT',
        target: '≥ 0.5×',
        minRatio: 0.5,
        detail: { latencyMs: { ours: { p50: ours.p50, p99: ours.p99 }, baseline: { p50: bare.p50, p99: bare.p99 } }, requests: ours.requests },
      })
    return [
      entry(`5 POST /v1/cases (report), ${connections} connections, ${seconds} s`, report, bareReport),
      entry(`5 POST /v1/cases/:id/note on ${caseIds.length} cases, ${connections} connections, ${seconds} s`, note, bareNote),
    ]
  } finally {
    await server.stop()
  }
}
