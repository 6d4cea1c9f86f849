import { sql, type Kysely, type Selectable } from 'kysely'
import { decodeDisclosureCursor, encodeDisclosureCursor } from '@pc/contracts'
import type {
  DisclosureCommentsQuery,
  DisclosureCommentsResponse,
  DisclosureDetailResponse,
  DisclosureKind,
  DisclosureListQuery,
  DisclosureListResponse,
  DisclosureSummary,
  DisclosureVersionResponse,
} from '@pc/contracts'
import { NotFoundError, type PublishedPeriodDisclosure } from '@pc/domain'
import type { Database } from '../database.js'
import type { DisclosureListTable, DisclosureVersionsTable } from './disclosure.tables.js'

/**
 * The disclosure queries the query API serves, as plain functions over the database. Results are JSON-ready
 * (revisions and positions as decimal strings). Drafts exist only for readers who may see them (`withDrafts`,
 * managers): for everyone else a draft is `NotFoundError`, exactly like an id that was never drafted.
 *
 * @example
 * const page = await listDisclosures(db, { kind: 'public_revenue', limit: 20 }, { withDrafts: false })
 */

export interface Visibility {
  /** Whether drafts are visible (managers). */
  withDrafts: boolean
}

type ListRow = Selectable<DisclosureListTable>

/** `GET /v1/disclosures`: newest draft first; `nextCursor` continues after the last item. */
export async function listDisclosures(
  db: Kysely<Database>,
  query: Pick<DisclosureListQuery, 'kind' | 'status' | 'limit' | 'cursor'>,
  visibility: Visibility,
): Promise<DisclosureListResponse> {
  // The query schema let only cursors that decode through.
  const after = query.cursor === undefined ? null : decodeDisclosureCursor(query.cursor)
  let select = db.selectFrom('disclosure_list').selectAll()
  if (!visibility.withDrafts) select = select.where('status', '!=', 'draft')
  if (query.kind !== undefined) select = select.where('kind', '=', query.kind)
  if (query.status !== undefined) select = select.where('status', '=', query.status)
  if (after !== null) {
    select = select.where(sql<boolean>`(drafted_at, disclosure_id) < (${after.draftedAt}::timestamptz, ${after.id}::uuid)`)
  }
  const rows = await select.orderBy('drafted_at', 'desc').orderBy('disclosure_id', 'desc').limit(query.limit + 1).execute()
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return {
    items: page.map(summaryOf),
    nextCursor: rows.length > query.limit && last ? encodeDisclosureCursor(last.drafted_at.toISOString(), last.disclosure_id) : null,
  }
}

/** `GET /v1/disclosures/:id`: the header, the current version, the version chain, reviews and objections. */
export async function getDisclosure(db: Kysely<Database>, id: string, visibility: Visibility): Promise<DisclosureDetailResponse> {
  const row = await visibleRow(db, id, visibility)
  const [versions, objections] = await Promise.all([
    db.selectFrom('disclosure_versions').selectAll().where('disclosure_id', '=', id).orderBy('version').execute(),
    db
      .selectFrom('disclosure_objections')
      .select(['objection_id', 'case_id', 'version', 'at'])
      .where('disclosure_id', '=', id)
      .orderBy('position')
      .execute(),
  ])
  const current = versions.at(-1)
  return {
    ...summaryOf(row),
    current: current ? versionOf(current) : null,
    draft: row.status === 'draft' ? row.draft : null,
    versions: versions.map((v) => ({
      version: v.version,
      contentHash: v.content_hash,
      previousHash: v.previous_hash,
      publishedAt: v.published_at.toISOString(),
      reason: v.reason,
    })),
    reviews: row.reviews,
    objections: objections.map((o) => ({ objectionId: o.objection_id, caseId: o.case_id, version: o.version, at: o.at.toISOString() })),
    retraction:
      row.retracted_at !== null && row.retract_reason !== null
        ? { at: row.retracted_at.toISOString(), reason: row.retract_reason }
        : null,
  }
}

/** `GET /v1/disclosures/:id/versions/:v`: one published version, content exactly as published. */
export async function getDisclosureVersion(
  db: Kysely<Database>,
  id: string,
  version: number,
  visibility: Visibility,
): Promise<DisclosureVersionResponse> {
  const row = await visibleRow(db, id, visibility)
  const stored = await db
    .selectFrom('disclosure_versions')
    .selectAll()
    .where('disclosure_id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst()
  if (!stored) throw new NotFoundError(`disclosure ${id} has no version ${version}`)
  return { ...versionOf(stored), retracted: row.status === 'retracted' }
}

/** `GET /v1/disclosures/:id/comments`: oldest first. */
export async function listDisclosureComments(
  db: Kysely<Database>,
  id: string,
  query: Pick<DisclosureCommentsQuery, 'limit' | 'cursor'>,
  visibility: Visibility,
): Promise<DisclosureCommentsResponse> {
  await visibleRow(db, id, visibility)
  let select = db.selectFrom('disclosure_comments').selectAll().where('disclosure_id', '=', id)
  if (query.cursor !== undefined) select = select.where('seq', '>', Number(query.cursor))
  const rows = await select.orderBy('seq').limit(query.limit + 1).execute()
  const page = rows.slice(0, query.limit)
  const last = page.at(-1)
  return {
    items: page.map((c) => ({ commentId: c.comment_id, authorId: c.author_id, body: c.body, version: c.version, at: c.at.toISOString() })),
    nextCursor: rows.length > query.limit && last ? String(last.seq) : null,
  }
}

/** Published (not retracted) disclosures of these kinds that cover a period: what the schedule checks against. */
export async function publishedPeriodDisclosures(
  db: Kysely<Database>,
  kinds: readonly DisclosureKind[],
): Promise<PublishedPeriodDisclosure[]> {
  if (kinds.length === 0) return []
  const rows = await db
    .selectFrom('disclosure_list')
    .select(['disclosure_id', 'kind', 'title', 'period_from', 'period_to', 'published_at'])
    .where('status', '=', 'published')
    .where('kind', 'in', [...kinds])
    .where('period_from', 'is not', null)
    .where('period_to', 'is not', null)
    .execute()
  return rows.flatMap((r) =>
    r.period_from !== null && r.period_to !== null && r.published_at !== null
      ? [{ id: r.disclosure_id, kind: r.kind, title: r.title, period: { from: r.period_from, to: r.period_to }, publishedAt: r.published_at.toISOString() }]
      : [],
  )
}

/**
 * The row of a disclosure the reader may see, or `NotFoundError`: a draft is invisible to non-managers, so they
 * learn nothing about it (not even that the id is taken).
 */
async function visibleRow(db: Kysely<Database>, id: string, visibility: Visibility): Promise<ListRow> {
  const row = await db.selectFrom('disclosure_list').selectAll().where('disclosure_id', '=', id).executeTakeFirst()
  if (!row || (row.status === 'draft' && !visibility.withDrafts)) throw new NotFoundError('disclosure not found')
  return row
}

function summaryOf(row: ListRow): DisclosureSummary {
  return {
    id: row.disclosure_id,
    kind: row.kind,
    status: row.status,
    title: row.title,
    version: row.version,
    contentHash: row.content_hash,
    period: row.period_from !== null && row.period_to !== null ? { from: row.period_from, to: row.period_to } : null,
    effectiveAt: row.effective_at,
    commentPeriodEndsAt: row.comment_period_ends_at,
    commentCount: row.comment_count,
    objectionCount: row.objection_count,
    draftedAt: row.drafted_at.toISOString(),
    publishedAt: row.published_at?.toISOString() ?? null,
    retractedAt: row.retracted_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
    revision: row.revision,
    position: row.position,
  }
}

function versionOf(v: Selectable<DisclosureVersionsTable>): Omit<DisclosureVersionResponse, 'retracted'> {
  return {
    version: v.version,
    content: v.content,
    contentHash: v.content_hash,
    publishedAt: v.published_at.toISOString(),
    ...(v.reason !== null && { reason: v.reason }),
    ...(v.previous_hash !== null && { previousHash: v.previous_hash }),
  }
}
