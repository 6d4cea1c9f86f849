import {
  masterKeyOf,
  newMasterKey,
  readMasterKeyFrom,
  stageMasterKeyFile,
  type MasterKey,
  type StagedMasterKeyFile,
} from '@pc/personal-data'
import { ConfigError, openRuntime } from '@pc/platform'
import { type CliCommand, configOrReport, parseCommandArgs, USAGE_ERROR } from './command.js'

/**
 * `cli rotate-master-key [--new-key-file <file>]`: re-wraps every live personal-data key under a new master key in
 * one transaction (DESIGN §7). No event and no envelope changes; destroyed keys stay destroyed.
 *
 * - With `PII_MASTER_KEY` unset (the embedded default), the new key is generated, or read from `--new-key-file`,
 *   and replaces `DATA_DIR/pii-master-key` once the re-wrap committed.
 * - With `PII_MASTER_KEY` set, `--new-key-file` is required (the key lives where the deployment keeps secrets, not
 *   here); afterwards `PII_MASTER_KEY` must be set to it before the next start — the old one no longer opens the
 *   store, and says so at start-up.
 *
 * Run it with the stack stopped: a running server holds the old master key and could not open keys re-wrapped
 * under the new one until restarted.
 */
export const rotateMasterKeyCommand: CliCommand = {
  name: 'rotate-master-key',
  summary: 're-wrap every personal-data key under a new master key (events untouched; stop the stack first)',
  usage: 'rotate-master-key [--new-key-file <file>]',
  async run(args, io) {
    const parsed = parseCommandArgs('rotate-master-key', args, io, { 'new-key-file': { type: 'string' } })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    const config = configOrReport(io)
    if (!config) return 1
    const fromEnvironment = config.piiMasterKey !== undefined
    const file = values['new-key-file']
    if (fromEnvironment && file === undefined) {
      io.err('rotate-master-key: PII_MASTER_KEY is set, so the new key must be given: --new-key-file <file> (base64 of 32 bytes)')
      return USAGE_ERROR
    }
    let next: MasterKey
    try {
      next = file === undefined ? newMasterKey() : masterKeyOf(await readMasterKeyFrom(file), 'environment')
    } catch (error) {
      io.err(`rotate-master-key: ${(error as Error).message}`)
      return USAGE_ERROR
    }

    let runtime
    try {
      runtime = await openRuntime(config)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      io.err(error.message)
      return 1
    }
    let staged: StagedMasterKeyFile | undefined
    try {
      const previous = runtime.vault.master.id
      if (previous === next.id) {
        io.err(`rotate-master-key: the new key is the current one (key id ${previous})`)
        return USAGE_ERROR
      }
      if (!fromEnvironment) staged = await stageMasterKeyFile(config.dataDir, next.key)
      const rewrapped = await runtime.vault.rotateMasterKey(next)
      await staged?.commit()
      staged = undefined
      io.out(`rotated: ${rewrapped} data key${rewrapped === 1 ? '' : 's'} re-wrapped under master key ${next.id} (was ${previous})`)
      io.out(fromEnvironment ? 'set PII_MASTER_KEY to the new key before the next start' : `the new key is in ${config.dataDir}`)
      return 0
    } finally {
      await staged?.discard()
      await runtime.close()
    }
  },
}
