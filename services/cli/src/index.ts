export { COMMANDS, runCli, type CliCommand, type CliIo } from './cli.js'
