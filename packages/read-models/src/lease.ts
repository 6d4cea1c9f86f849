import pg from 'pg'

/**
 * A PostgreSQL advisory lock held on a dedicated connection: the lease that lets one projector instance run a
 * projection while others wait. The lock lives exactly as long as the session, so when the holder dies (process
 * killed, network gone) the server drops its connection and the lock with it, and a waiting instance's next
 * `pg_try_advisory_lock` wins. `lost` aborts when this side notices its connection is gone; correctness does
 * not depend on noticing quickly, because every batch also checks the checkpoint it expects (`applyBatch`).
 */
export interface Lease {
  readonly key: string
  /** Aborted when the lease connection fails or ends. */
  readonly lost: AbortSignal
  /** Server process id of the lease connection (tests terminate it to simulate a crash). */
  readonly backendPid: number
  release(): Promise<void>
}

export interface AcquireLeaseOptions {
  connectionString: string
  /** The lock key; hashed with `hashtext` into the advisory-lock space. */
  key: string
  /** How often a waiting instance tries again (default 1000 ms). */
  pollMs?: number
  /** How often the holder checks that its connection still answers (default 5000 ms). */
  heartbeatMs?: number
  signal?: AbortSignal
  /** Called once when the first attempt finds the lease taken. */
  onWaiting?: () => void
}

/** Waits until the lease is ours; resolves null if `signal` aborts first. */
export async function acquireLease(options: AcquireLeaseOptions): Promise<Lease | null> {
  const pollMs = options.pollMs ?? 1000
  let waitingReported = false
  while (!options.signal?.aborted) {
    const client = new pg.Client({
      connectionString: options.connectionString,
      keepAlive: true,
      application_name: `pc-lease:${options.key}`.slice(0, 63),
    })
    const lost = new AbortController()
    client.on('error', (error) => lost.abort(error))
    client.on('end', () => lost.abort(new Error('lease connection ended')))
    try {
      await client.connect()
      // Poll on the same connection: reconnecting every time would churn sessions for nothing.
      while (!options.signal?.aborted && !lost.signal.aborted) {
        const { rows } = await client.query<{ ok: boolean; pid: number }>(
          'select pg_try_advisory_lock(hashtext($1)) as ok, pg_backend_pid() as pid',
          [options.key],
        )
        if (rows[0]?.ok) return holding(client, options, lost, rows[0].pid)
        if (!waitingReported) {
          waitingReported = true
          options.onWaiting?.()
        }
        await sleep(pollMs, options.signal)
      }
    } catch {
      // The database is unreachable or the connection broke while waiting: try again after a pause.
      await sleep(pollMs, options.signal)
    }
    await client.end().catch(() => undefined)
  }
  return null
}

function holding(client: pg.Client, options: AcquireLeaseOptions, lost: AbortController, backendPid: number): Lease {
  const heartbeat = setInterval(() => {
    client.query('select 1').catch((error: unknown) => lost.abort(error))
  }, options.heartbeatMs ?? 5000)
  heartbeat.unref()
  let released = false
  return {
    key: options.key,
    lost: lost.signal,
    backendPid,
    async release() {
      if (released) return
      released = true
      clearInterval(heartbeat)
      // Ending the session releases the lock; the explicit unlock only makes it immediate on a pooled proxy.
      if (!lost.signal.aborted) await client.query('select pg_advisory_unlock(hashtext($1))', [options.key]).catch(() => undefined)
      await client.end().catch(() => undefined)
    },
  }
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}
