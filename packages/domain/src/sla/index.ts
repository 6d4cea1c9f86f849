export * from './business-calendar.js'
export * from './sla.policy.js'
export * from './sla.clocks.js'
