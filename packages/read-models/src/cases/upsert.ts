import { sql, type RawBuilder } from 'kysely'

/** `col = excluded.col` for every column of `row` but the conflict key: an upsert that replaces the whole row. */
export function replaceAll<Row extends object>(row: Row, key: keyof Row): Record<string, RawBuilder<unknown>> {
  const set: Record<string, RawBuilder<unknown>> = {}
  for (const column of Object.keys(row)) {
    if (column !== key) set[column] = sql`excluded.${sql.ref(column)}`
  }
  return set
}

/** Splits rows so one statement stays well under PostgreSQL's 65,535 bind parameters. */
export function* chunks<T>(rows: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size)
}
