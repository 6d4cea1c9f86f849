import type { CaseListCursor } from '@pc/read-models'
import { z } from 'zod'

/**
 * The `cursor` of `GET /v1/cases`: opaque to clients (base64url of the queue position), so the order's keys can
 * change without breaking a contract. A cursor that does not decode is a 400 naming `query.cursor`.
 */
const Position = z.strictObject({
  r: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
  c: z.uuid(),
})

export function encodeCursor(cursor: CaseListCursor): string {
  return Buffer.from(JSON.stringify({ r: cursor.reportedAt, c: cursor.caseId })).toString('base64url')
}

export function decodeCursor(value: string): CaseListCursor | null {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  const parsed = Position.safeParse(json)
  return parsed.success ? { reportedAt: parsed.data.r, caseId: parsed.data.c } : null
}

/** The query parameter: decoded while the request is validated. */
export const CursorParam = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    const cursor = decodeCursor(value)
    if (cursor) return cursor
    ctx.addIssue({ code: 'custom', message: 'not a cursor this API handed out' })
    return z.NEVER
  })
  .describe('The nextCursor of the previous page')
