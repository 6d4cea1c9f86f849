import type { DeadlineWatcher } from './deadline-watcher.js'
import { slaBreachWatcher } from './sla-breach.watcher.js'
import { fulfilmentOverdueWatcher, mediationDeadlineWatcher } from './mediation.watcher.js'

/**
 * Every deadline the SLA worker watches, one line each (a new watcher lives in its own file next to this one).
 */
export const deadlineWatchers: readonly DeadlineWatcher[] = Object.freeze([
  slaBreachWatcher,
  mediationDeadlineWatcher,
  fulfilmentOverdueWatcher,
])
