export { COMMANDS, runCli, type CliCommand, type CliIo, type CommandEntry } from './cli.js'
export { buildStack, type StackOptions } from './commands/start.command.js'
