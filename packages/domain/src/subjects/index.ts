export * from './subject.decider.js'
