export { COMMANDS, runCli, type CliCommand, type CliIo, type CommandEntry } from './cli.js'
export { buildApi, buildStack, type StackOptions } from './commands/start.command.js'
