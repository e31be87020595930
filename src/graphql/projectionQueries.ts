import { requireAdmin, requireStaff } from '../auth/actor.js';
import { ForbiddenError, InvalidStateError, NotFoundError, UnauthenticatedError } from '../domain/errors.js';
import type { Builder } from './builder.js';
import type { GraphQLContext } from './context.js';

interface ProjectionStatusView {
  name: string;
  version: number;
  position: bigint;
  status: string;
  lastError: string | null;
  eventTypes: readonly string[];
}

async function statusOf(ctx: GraphQLContext, name: string): Promise<ProjectionStatusView> {
  const projection = ctx.services.readSide.projection(name);
  // Only the known names exist; the echo is cut so a huge name does not come back in the answer.
  if (!projection) throw new NotFoundError(`no projection named ${JSON.stringify(name.slice(0, 100))}`);
  const row = await ctx.services.db.prisma.projectionCheckpoint.findUnique({ where: { name } });
  return {
    name,
    version: row?.version ?? projection.version,
    position: row?.position ?? 0n,
    status: row?.status ?? 'RUNNING',
    lastError: row?.lastError ?? null,
    eventTypes: projection.eventTypes,
  };
}

const adminErrors = () => ({
  types: [NotFoundError, InvalidStateError, ForbiddenError, UnauthenticatedError],
  directResult: true as const,
});

/** Adds this slice's GraphQL to a schema builder. */
export function projectionQueries(builder: Builder): void {
  const ProjectionStatusType = builder.objectRef<ProjectionStatusView>('ProjectionStatus').implement({
    description: 'How far a projection has read the log.',
    fields: (t) => ({
      name: t.exposeString('name'),
      version: t.exposeInt('version', {
        description:
          'The version of the projection its serving tables were built by (while REBUILDING, the new version is built beside them).',
      }),
      position: t.string({ description: 'The last log position it has applied.', resolve: (p) => p.position.toString() }),
      lag: t.int({
        description: 'Events it handles that are in the log but not yet applied.',
        resolve: async (p, _args, ctx) => {
          const [row] = await ctx.services.db.pool
            .query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE position > $1 AND type = ANY($2::text[])', [
              p.position.toString(),
              [...p.eventTypes],
            ])
            .then((r) => r.rows);
          return row?.n ?? 0;
        },
      }),
      status: t.exposeString('status', {
        description:
          'RUNNING, REBUILDING (a new version building beside the serving tables), or FAILED (it stopped on an event or its rebuild failed; see lastError).',
      }),
      lastError: t.exposeString('lastError', { nullable: true }),
    }),
  });

  builder.queryField('projections', (t) =>
    t.field({
      type: [ProjectionStatusType],
      description: "Every projection's progress (staff).",
      resolve: (_root, _args, ctx) => {
        requireStaff(ctx.auth);
        return Promise.all(ctx.services.readSide.projections.map((p) => statusOf(ctx, p.name)));
      },
    }),
  );

  const ProjectionNameInput = builder.inputType('ProjectionNameInput', { fields: (t) => ({ name: t.string({ required: true }) }) });

  builder.mutationFields((t) => ({
    retryProjection: t.field({
      type: ProjectionStatusType,
      description: 'Restarts a FAILED projection at the event it failed on (admin).',
      args: { input: t.arg({ type: ProjectionNameInput, required: true }) },
      errors: { ...adminErrors(), union: { name: 'RetryProjectionResult' } },
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        if ((await statusOf(ctx, input.name)).status !== 'FAILED') throw new InvalidStateError(`projection ${input.name} is not failed`);
        await ctx.services.db.prisma.projectionCheckpoint.update({
          where: { name: input.name },
          data: { status: 'RUNNING', lastError: null },
        });
        ctx.services.readSide.poke(input.name);
        return statusOf(ctx, input.name);
      },
    }),
    skipProjectionEvent: t.field({
      type: ProjectionStatusType,
      description: 'Moves a FAILED projection past the event it failed on and restarts it (admin). The event stays in the log.',
      args: { input: t.arg({ type: ProjectionNameInput, required: true }) },
      errors: { ...adminErrors(), union: { name: 'SkipProjectionEventResult' } },
      resolve: async (_root, { input }, ctx) => {
        requireAdmin(ctx.auth);
        const status = await statusOf(ctx, input.name);
        if (status.status !== 'FAILED') throw new InvalidStateError(`projection ${input.name} is not failed`);
        const [poison] = await ctx.services.eventStore.readAll(status.position, 1, { types: [...status.eventTypes] });
        await ctx.services.db.prisma.projectionCheckpoint.update({
          where: { name: input.name },
          data: { status: 'RUNNING', lastError: null, position: poison?.position ?? status.position },
        });
        ctx.log.warn({ projection: input.name, skipped: poison?.position.toString() }, 'an admin skipped an event for a projection');
        ctx.services.readSide.poke(input.name);
        return statusOf(ctx, input.name);
      },
    }),
  }));
}
