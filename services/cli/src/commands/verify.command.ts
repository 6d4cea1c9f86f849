import { verifyExport } from '@pc/ledger'
import { startProgress } from '../progress/progress.js'
import { parseCommandArgs, printResult, USAGE_ERROR, type CliCommand } from './command.js'

/**
 * `pnpm cli verify --in <file.jsonl> [--head <head.json>] [--public-key <pem>]… [--keys <keys.json>] [--origin <name>]
 * [--previous-head <head.json> [--consistency-proof <proof.json>]] [--quiet]`: the command line of `verifyExport`
 * (`@pc/ledger`), which checks an export offline. The result goes to stdout (ok) or stderr (failed), the progress to
 * stderr.
 */
export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'check an export offline: hash chains, the Merkle tree, the signed head and proofs',
  usage:
    'verify --in <file.jsonl> [--head <head.json>] [--public-key <public-key.pem>]… [--keys <keys.json>] [--origin <name>] ' +
    '[--previous-head <head.json> [--consistency-proof <proof.json>]] [--quiet]',
  async run(args, io) {
    const parsed = parseCommandArgs('verify', args, io, {
          in: { type: 'string' },
          head: { type: 'string' },
          'public-key': { type: 'string', multiple: true },
          keys: { type: 'string' },
          origin: { type: 'string' },
          'previous-head': { type: 'string' },
          'consistency-proof': { type: 'string' },
          quiet: { type: 'boolean', short: 'q' },
        })
    if (typeof parsed === 'number') return parsed
    const { values } = parsed
    if (!values.in) {
      io.err(`verify: --in is required\nusage: pnpm cli ${verifyCommand.usage}`)
      return USAGE_ERROR
    }
    if (values['consistency-proof'] !== undefined && values['previous-head'] === undefined) {
      io.err(`verify: --consistency-proof proves the head extends a --previous-head; give both\nusage: pnpm cli ${verifyCommand.usage}`)
      return USAGE_ERROR
    }
    const progress = startProgress({ label: 'verify', sink: io.progress, quiet: values.quiet === true })
    let result
    try {
      result = await verifyExport({
        in: values.in,
        ...(values.head !== undefined && { head: values.head }),
        ...(values['public-key'] !== undefined && { publicKey: values['public-key'] }),
        ...(values.keys !== undefined && { keys: values.keys }),
        ...(values.origin !== undefined && { origin: values.origin }),
        ...(values['previous-head'] !== undefined && { previousHead: values['previous-head'] }),
        ...(values['consistency-proof'] !== undefined && { consistencyProof: values['consistency-proof'] }),
        onProgress: (events, total) => progress.update(events, total),
      })
    } finally {
      progress.finish()
    }
    return printResult(io, result)
  },
}
