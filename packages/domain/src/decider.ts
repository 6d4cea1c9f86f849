/**
 * A decider (Jérémie Chassaing's pattern): pure `decide` and `evolve` over one stream.
 * No I/O and no clock: time, new ids and policy arrive in `context`.
 *
 * @example
 * const state = events.reduce(caseDecider.evolve, caseDecider.initialState)
 * const newEvents = caseDecider.decide(command, state, { now, newId })
 */
export interface Decider<Command, Event, State, Context> {
  readonly initialState: State
  decide(command: Command, state: State, context: Context): Event[]
  evolve(state: State, event: Event): State
}

/** A domain event before it is enveloped by the command handler: its type and its data. */
export interface DomainEvent<Type extends string = string, Data = Record<string, unknown>> {
  type: Type
  data: Data
}

/** Who issues a command. */
export interface CommandActor {
  id: string
  roles: readonly string[]
  /** Unit ids a resident lives in (JWT `units`). */
  units?: readonly string[]
}

/** Throws at compile time when a switch misses a case. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`)
}
