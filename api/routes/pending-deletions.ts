// Deletion protection: staged deletes (and disables held by the mass-offboarding guard) listed for
// every role; executed or cancelled by an approver (or admin), one by one or in bulk.
import { approvers, auditActor, readers, requireRole } from '../auth';
import { decideDeletions } from '../deletion-decisions';
import { errorResponses, ErrorBody } from '../errors';
import { decideWithSecondApprover } from '../second-approver';
import { pageOf } from '../schemas';
import type { ApiRoutePlugin } from '../server';
import { syncContext, viaTemporal } from '../sync-context';
import { DecisionBody, DecisionResponse, PendingDeletionQuery, PendingDeletionResponse, toPendingDeletionResponse } from '../sync-schemas';

export const pendingDeletionRoutes: ApiRoutePlugin = async (app, { deps }) => {
  const tags = ['deletion protection'];
  const read = requireRole(...readers);
  const decide = requireRole(...approvers);
  const ctx = syncContext(deps);

  app.get(
    '/pending-deletions',
    { onRequest: read, schema: { tags, summary: 'Staged deletions, newest first', querystring: PendingDeletionQuery, response: { 200: pageOf(PendingDeletionResponse), ...errorResponses } } },
    async (request) => {
      const page = await ctx.runs.listPendingDeletions(request.query);
      return { ...page, items: page.items.map(toPendingDeletionResponse) };
    },
  );

  for (const action of ['execute', 'cancel'] as const) {
    app.post(
      `/pending-deletions/${action}`,
      {
        onRequest: decide,
        schema: {
          tags,
          summary: action === 'execute' ? 'Execute staged deletions, or retry FAILED ones (a cancelled or superseded item is never executed)' : 'Cancel staged or FAILED deletions (final)',
          body: DecisionBody,
          response: { 200: DecisionResponse.describe('one result per distinct id'), 503: ErrorBody, ...errorResponses },
        },
      },
      async (request) => {
        const temporal = ctx.temporal();
        // Separation of duties (a second approver) is checked here, before any decision is sent.
        // The actor is the authenticated principal; the body carries ids only.
        const actor = auditActor(request.actor);
        const results = await decideWithSecondApprover({ action, ids: request.body.ids, actor }, { db: deps.database.db }, (ids) =>
          viaTemporal(`sending the ${action} decision`, () => decideDeletions(action, ids, actor, { runs: ctx.runs, temporal })),
        );
        return { results };
      },
    );
  }
};
