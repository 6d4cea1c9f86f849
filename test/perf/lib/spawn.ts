import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Contender, TaskMap, TaskName } from './tasks.js'

const CHILD = fileURLToPath(new URL('../child.ts', import.meta.url))

type Reply<R> = { ok: true; result: R } | { ok: false; error: string }

/** Node flags for every child: tsx, and a CPU profile per child when `BENCH_CPU_PROF` names a directory. */
function execArgv(): string[] {
  const flags = ['--import', 'tsx']
  const profDir = process.env.BENCH_CPU_PROF
  if (profDir) flags.push('--cpu-prof', `--cpu-prof-dir=${profDir}`)
  return flags
}

function forkChild(contender: Contender, task: TaskName): ChildProcess {
  return fork(CHILD, [contender, task], { execArgv: execArgv(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

function nextReply<R>(child: ChildProcess, label: string, timeoutMs: number): Promise<R> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${label}: no answer within ${Math.round(timeoutMs / 1000)} s`))
    }, timeoutMs)
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer)
      reject(new Error(`${label}: child exited (${signal ?? code}) without answering`))
    }
    child.once('exit', onExit)
    child.once('message', (message: Reply<R>) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      if (message.ok) resolve(message.result)
      else reject(new Error(`${label} failed in its child:\n${message.error}`))
    })
  })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/**
 * Runs one task of one contender in a fresh child process and returns its result once the child has exited.
 *
 * @example
 * const { rate } = await runTask('plain', 'reads', { url, events: 10_000, runs: 5 })
 */
export async function runTask<K extends TaskName>(
  contender: Contender,
  task: K,
  params: TaskMap[K]['params'],
  timeoutMs = 300_000,
): Promise<TaskMap[K]['result']> {
  const child = forkChild(contender, task)
  const done = exited(child)
  try {
    const answer = nextReply<TaskMap[K]['result']>(child, `${contender} ${task}`, timeoutMs)
    child.send(params)
    return await answer
  } finally {
    await done
  }
}

/**
 * Starts a task that keeps running in its child (a server) and returns its result with a `stop` that shuts it down.
 *
 * @example
 * const server = await startTask('http', 'http-server', { url, cases: 200 })
 * try { … } finally { await server.stop() }
 */
export async function startTask<K extends TaskName>(
  contender: Contender,
  task: K,
  params: TaskMap[K]['params'],
  timeoutMs = 300_000,
): Promise<{ result: TaskMap[K]['result']; stop: () => Promise<void> }> {
  const child = forkChild(contender, task)
  const done = exited(child)
  const answer = nextReply<TaskMap[K]['result']>(child, `${contender} ${task}`, timeoutMs)
  child.send(params)
  let result
  try {
    result = await answer
  } catch (error) {
    await done
    throw error
  }
  return {
    result,
    async stop() {
      const stopped = nextReply<string>(child, `${contender} ${task} stop`, 30_000).catch(() => undefined)
      child.send('stop')
      await stopped
      await done
    },
  }
}
