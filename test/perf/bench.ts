/**
 * `pnpm bench [--quick] [--only=1,3]`: the benchmarks of issue 9, side by side with plain baselines and the peer.
 *
 * Speed is reported as ratios against baselines run in the same run, on the same PostgreSQL: the machines are
 * shared and absolute numbers drift. Every contender runs in a child process of its own (`child.ts`); this process
 * only starts PostgreSQL, hands out databases, drives the HTTP load and writes the results.
 *
 * Output: a table on stdout and `bench-results.json` (an array of entries, see `lib/report.ts`) in the current
 * directory. `BENCH_CPU_PROF=<dir>` writes a CPU profile of every child there; `BENCH_DATABASE_URL` uses that server
 * instead of an embedded one.
 */
import { writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { startBenchCluster, type BenchCluster } from './lib/cluster.js'
import { formatMarkdown, formatTable, type Entry } from './lib/report.js'
import { commandApi } from './http.js'
import { appends, catchUp, FULL, QUICK, reads, rebuild, replay, verify, type Sizes } from './shapes.js'

const SHAPES: Record<string, (cluster: BenchCluster, sizes: Sizes) => Promise<Entry[]>> = {
  '1': appends,
  '2': reads,
  '3': catchUp,
  '4': rebuild,
  '5': commandApi,
  '6': replay,
  '7': verify,
}

function parseArgs(argv: readonly string[]) {
  const quick = argv.includes('--quick')
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',')
  const markdown = argv.includes('--markdown')
  const unknown = argv.filter((a) => a !== '--quick' && a !== '--markdown' && !a.startsWith('--only='))
  if (unknown.length > 0) throw new Error(`unknown arguments: ${unknown.join(' ')} (use --quick, --only=1,3, --markdown)`)
  for (const shape of only ?? []) if (!SHAPES[shape]) throw new Error(`no shape ${shape}; shapes are ${Object.keys(SHAPES).join(', ')}`)
  return { quick, only: only ?? Object.keys(SHAPES), markdown }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const started = Date.now()
  const cluster = await startBenchCluster()
  const stop = () => void cluster.stop().finally(() => process.exit(130))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const entries: Entry[] = []
  try {
    const durability = await cluster.durability()
    const cpu = cpus()
    console.log(`pnpm bench${args.quick ? ' --quick' : ''}: ${args.quick ? 'quick run (smaller sizes; a smoke test, not the figures to quote)' : 'full run'}`)
    console.log(
      `machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ` +
        `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on the machine skews every figure alike)`,
    )
    console.log(`PostgreSQL ${await cluster.version()} (${process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'embedded, throw-away'}), default durability:`)
    console.log(`  ${Object.entries(durability).map(([k, v]) => `${k}=${v}`).join(', ')}`)
    if (durability.fsync !== 'on' || durability.synchronous_commit !== 'on') {
      console.log('  WARNING: fsync or synchronous_commit is off: commits are cheaper than in production')
    }
    for (const shape of args.only) {
      const shapeStarted = Date.now()
      process.stdout.write(`shape ${shape} … `)
      const results = await SHAPES[shape]!(cluster, args.quick ? QUICK : FULL)
      entries.push(...results)
      console.log(`${((Date.now() - shapeStarted) / 1000).toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)})`)
    }
  } finally {
    await cluster.stop()
  }
  console.log('')
  console.log(args.markdown ? formatMarkdown(entries) : formatTable(entries))
  await writeFile('bench-results.json', JSON.stringify(entries, null, 2) + '\n')
  const missed = entries.filter((e) => e.met === false)
  console.log('')
  console.log(`${entries.length} figures written to bench-results.json in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
    (missed.length === 0 ? 'no target missed.' : `targets missed: ${missed.map((e) => e.shape.split(' ')[0]).join(', ')}.`))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
