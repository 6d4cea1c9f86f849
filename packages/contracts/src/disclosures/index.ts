export * from './values.js'
export * from './commands.js'
export * from './events.js'
