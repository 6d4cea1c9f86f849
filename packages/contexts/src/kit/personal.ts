import type { JsonObject, Sealed } from '@pc/contracts'
import type { PersonalDataVault } from '@pc/personal-data'

/** A personal value as one reader is shown it (`personalView` in `@pc/contracts` is its schema). */
export type Shown = ({ subjectId: string } & JsonObject) | { subjectId: string; erased: true } | { subjectId: string; sealed: true }

/** One sealed value to show, and whether this reader may see it in clear. */
export interface ShowRequest {
  sealed: Sealed | null
  clear: boolean
}

/**
 * Opens sealed values for one reader at query time (DESIGN §7): in clear where the reader may see them, `erased`
 * once their subject was forgotten (whoever reads), `sealed` otherwise — auditors and the committee learn that
 * there is a value and whose, never the value. Read models keep only the envelopes; one vault query for all.
 *
 * @example
 * const [reporter] = await showPersonal(vault, [{ sealed: state.reporter, clear: mayCall }])
 */
export async function showPersonal(vault: PersonalDataVault, requests: readonly ShowRequest[]): Promise<Array<Shown | null>> {
  const present = requests.flatMap((request) => (request.sealed ? [request.sealed] : []))
  const opened = await vault.openAll(present)
  let next = 0
  return requests.map(({ sealed, clear }): Shown | null => {
    if (!sealed) return null
    const value = opened[next++]!
    const subjectId = sealed.subject
    if ('erased' in value && value.erased === true) return { subjectId, erased: true }
    return clear ? { ...value, subjectId } : { subjectId, sealed: true }
  })
}
