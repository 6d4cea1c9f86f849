import { WAIT_FOR_TIMEOUT_MS } from './read-your-writes.js'

/** What a process (or a test) can set on the query API. */
export interface QueryAppOptions {
  /** The clock SLA time-left and overdue are measured with (default: the system clock). Tests move it. */
  now?: () => Date
  /** How long `waitFor` waits before answering anyway (default 5 s, DESIGN §5). */
  waitForTimeoutMs?: number
}

/** The options every query routes plugin receives, defaults filled in. */
export interface QueryRouteOptions {
  now: () => Date
  waitForTimeoutMs: number
}

export function routeOptions(options: QueryAppOptions): QueryRouteOptions {
  return { now: options.now ?? (() => new Date()), waitForTimeoutMs: options.waitForTimeoutMs ?? WAIT_FOR_TIMEOUT_MS }
}
