import { ForgetSubjectBody, NotFoundError, SubjectEventTypes, SubjectParams } from '@pc/contracts'
import { SUBJECT_STREAM_PREFIX, subjectDecider, subjectEventCodec, type SubjectCommand, type SubjectState } from '@pc/domain'
import { commandSpecs, defineContext } from '../context.js'

const spec = commandSpecs<SubjectCommand, SubjectState>()

/**
 * Data subjects (DESIGN §7): forgetting a person. Their keys are destroyed before the forget is recorded, so a
 * request that fails half-way has erased, never recorded an erasure that did not happen; sent again, it records it.
 */
export const subjects = defineContext({
  name: 'subjects',
  description: 'Personal-data subjects (DESIGN §7): forgetting a person destroys their keys; every hash still verifies',
  streamPrefix: SUBJECT_STREAM_PREFIX,
  eventTypes: Object.keys(SubjectEventTypes),
  codec: subjectEventCodec,
  decider: subjectDecider,
  decisionContext: ({ now }) => ({ now }),
  commands: [
    spec({
      operationId: 'forgetSubject',
      url: '/admin/subjects/:subjectId/forget',
      summary: "Forget a data subject: destroy their keys, so every value sealed for them reads as { erased: true }",
      roles: ['admin'],
      params: SubjectParams,
      body: ForgetSubjectBody,
      id: ({ params }) => params.subjectId,
      async prepare({ params }, { vault }) {
        const outcome = await vault.forget(params.subjectId)
        if (outcome.kind === 'unknown') throw new NotFoundError(`no personal data is held for subject ${params.subjectId}`)
        return outcome.kind === 'forgotten' ? outcome.keys : 0
      },
      command: ({ params, body, actor, prepared }) => ({
        type: 'forget',
        subjectId: params.subjectId,
        data: body,
        keysDestroyed: prepared,
        actor,
      }),
    }),
  ],
})
