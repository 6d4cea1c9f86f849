/** Shutdown steps of whatever a task leaves running; `child.ts` runs them when the orchestrator says stop. */
export const heldClosers: (() => Promise<void>)[] = []

export function holdUntilStopped(close: () => Promise<void>): void {
  heldClosers.push(close)
}
