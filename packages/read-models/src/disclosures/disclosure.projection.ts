import { sql, type Transaction, type UpdateObject } from 'kysely'
import type { DisclosureContent, DisclosureDraft } from '@pc/contracts'
import { DISCLOSURE_STREAM_PREFIX, assertNever, disclosureEventCodec, disclosureIdOf, objectionCaseId } from '@pc/domain'
import type { DeliveredEvent } from '@pc/event-store'
import type { Database } from '../database.js'
import { perEvent, type Projection } from '../projection.js'
import type { StoredReview } from './disclosure.tables.js'

export const DISCLOSURES_PROJECTION = 'disclosures'

/**
 * The disclosure read models (公示): the list and detail header (`disclosure_list`), every published version
 * (`disclosure_versions`), comments and objections. One projection owns all four, so one checkpoint answers
 * `waitFor` for every disclosure query.
 *
 * A version's `content` is copied from the stored event as it is, not from the decoded event, so what the API
 * returns is byte for byte the value whose hash the event records.
 */
export const disclosureProjection: Projection = {
  name: DISCLOSURES_PROJECTION,
  version: 1,
  tables: ['disclosure_list', 'disclosure_versions', 'disclosure_comments', 'disclosure_objections'],
  filter: { streamPrefix: [DISCLOSURE_STREAM_PREFIX] },
  handle: perEvent(apply),
}

async function apply(trx: Transaction<Database>, stored: DeliveredEvent): Promise<void> {
  const id = disclosureIdOf(stored.streamId)
  const event = disclosureEventCodec.fromStored(stored)
  const touch = { revision: stored.revision, position: stored.position, updated_at: event.data.at }
  const update = (set: ListUpdate) => updateRow(trx, id, { ...touch, ...set })

  switch (event.type) {
    case 'DisclosureDrafted': {
      const { draft, at } = event.data
      await trx
        .insertInto('disclosure_list')
        .values({
          disclosure_id: id,
          ...touch,
          status: 'draft',
          ...draftColumns(draft),
          version: null,
          content_hash: null,
          comment_count: 0,
          objection_count: 0,
          drafted_at: at,
          published_at: null,
          retracted_at: null,
          retract_reason: null,
          reviews: '[]',
        })
        .execute()
      return
    }
    case 'DisclosureRevised':
      return update(draftColumns(event.data.draft))
    case 'DisclosurePublished':
    case 'DisclosureCorrected': {
      const { version, contentHash, at } = event.data
      // As stored: the decoded content went through the schema, the stored one is what was hashed.
      const content = stored.data['content'] as DisclosureContent
      await trx
        .insertInto('disclosure_versions')
        .values({
          disclosure_id: id,
          version,
          content: JSON.stringify(content),
          content_hash: contentHash,
          previous_hash: event.type === 'DisclosureCorrected' ? event.data.previousHash : null,
          reason: event.type === 'DisclosureCorrected' ? event.data.reason : null,
          published_at: at,
          position: stored.position,
        })
        .execute()
      return update({
        status: 'published',
        ...contentColumns(event.data.content),
        version,
        content_hash: contentHash,
        draft: null,
        ...(event.type === 'DisclosurePublished' && { published_at: at }),
      })
    }
    case 'DisclosureCommented': {
      const { commentId, authorId, body, version, at } = event.data
      await trx
        .insertInto('disclosure_comments')
        .values({ disclosure_id: id, seq: Number(commentId.slice('comment-'.length)), comment_id: commentId, author_id: authorId, body, version, at })
        .execute()
      return update({ comment_count: sql<number>`comment_count + 1` })
    }
    case 'DisclosureObjected': {
      const { objectionId, objectorId, reason, version, at } = event.data
      await trx
        .insertInto('disclosure_objections')
        .values({
          disclosure_id: id,
          objection_id: objectionId,
          case_id: objectionCaseId(objectionId),
          objector_id: objectorId,
          reason,
          version,
          at,
          position: stored.position,
        })
        .execute()
      return update({ objection_count: sql<number>`objection_count + 1` })
    }
    case 'CommitteeReviewRecorded': {
      const { reviewerId, decision, note, version, contentHash, at } = event.data
      const review: StoredReview = { reviewerId, decision, note, version, contentHash, at }
      return update({ reviews: sql<string>`reviews || jsonb_build_array(${JSON.stringify(review)}::jsonb)` })
    }
    case 'DisclosureRetracted':
      return update({ status: 'retracted', retracted_at: event.data.at, retract_reason: event.data.reason })
    default:
      return assertNever(event)
  }
}

type ListUpdate = UpdateObject<Database, 'disclosure_list'>

async function updateRow(trx: Transaction<Database>, id: string, set: ListUpdate): Promise<void> {
  const result = await trx.updateTable('disclosure_list').set(set).where('disclosure_id', '=', id).executeTakeFirst()
  // Every event but the first follows a DisclosureDrafted this projection has applied; a missing row is a bug.
  if (result.numUpdatedRows !== 1n) throw new Error(`disclosure ${id} is not in disclosure_list`)
}

function draftColumns(draft: DisclosureDraft) {
  return {
    kind: draft.kind,
    title: draft.title,
    period_from: draft.period?.from ?? null,
    period_to: draft.period?.to ?? null,
    effective_at: draft.effectiveAt ?? null,
    comment_period_ends_at: draft.commentPeriodEndsAt ?? null,
    draft: JSON.stringify(draft),
  }
}

function contentColumns(content: DisclosureContent) {
  return {
    kind: content.kind,
    title: content.title,
    period_from: content.period?.from ?? null,
    period_to: content.period?.to ?? null,
    effective_at: content.effectiveAt,
    comment_period_ends_at: content.commentPeriodEndsAt,
  }
}
