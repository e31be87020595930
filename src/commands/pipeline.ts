import pRetry from 'p-retry';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { describeActor, type Actor, type Authentication } from '../auth/actor.js';
import { ConcurrencyConflictError, DomainError, IdempotencyKeyReusedError } from '../domain/errors.js';
import { ConcurrencyError } from '../eventStore/errors.js';
import type { AppendOutcome } from '../eventStore/types.js';
import { inSpan, traceCarrier } from '../observability/tracing.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { EventStore } from '../eventStore/eventStore.js';
import type { Logger } from '../logger.js';
import { commandInputHash } from './inputHash.js';
import type { PlannedAppend } from './loadAggregate.js';
import { rememberStates } from './rememberStates.js';
import { parseCommandInput } from './validation.js';

/**
 * The parts of the service a command runs on: the store it loads from and appends to, the database
 * its repeats are looked up in, where outcomes are counted. The composition root passes them in.
 */
export interface CommandServices {
  config: Config;
  logger: Logger;
  db: Database;
  eventStore: EventStore;
  metrics: { recordCommand(command: string, outcome: string): void };
}

/** What a command's plan needs besides its input: who, when, fresh ids, the parts it runs on. */
export interface CommandEnv {
  actor: Actor;
  now: Date;
  newId(): string;
  services: CommandServices;
}

/** A command's decision: what to append (the target stream first) and the entity to answer with. */
export interface CommandPlan<R> {
  aggregateId: string;
  appends: [PlannedAppend, ...PlannedAppend[]];
  /** The result entity, built from the target's state after the command. */
  entity: R;
}

/** One command: its input schema, who may run it, how it decides, how a repeat is answered. */
export interface CommandDefinition<I, R> {
  name: string;
  input: z.ZodType<I>;
  /** Role checks that need no loading; returns the actor the command runs as. */
  authorize(auth: Authentication): Actor;
  plan(input: I, env: CommandEnv): Promise<CommandPlan<R>>;
  /** The entity as the first run left it (for a repeated commandId). */
  replay(aggregateId: string, version: number, env: CommandEnv): Promise<R>;
  /**
   * Work that must follow the committed events (and cannot join their transaction), run before
   * answering after every success, a repeat included: it must be safe to run again, so that
   * repeating the command completes it when a crash cut it short.
   */
  afterCommit?(aggregateId: string, env: CommandEnv): Promise<void>;
}

/** What every successful mutation answers (GraphQL `CommandSuccess` plus the entity). */
export interface CommandSuccessPayload<R> {
  aggregateId: string;
  version: number;
  position: string;
  events: { type: string; version: number; position: string }[];
  entity: R;
}

export interface CommandRequest {
  auth: Authentication;
  services: CommandServices;
  /** Stored in the events' metadata as their correlation id: an id of ours, never a caller's text. */
  requestId: string;
}

// Without an expectedVersion, a conflict means someone else got there first: decide again on
// fresh state. Bounded, with a growing jittered pause (1 ms doubling up to 20 ms, times 1 to 2),
// so a hot stream cannot spin forever and racing commands do not retry in step.
const CONFLICT_RETRIES = { retries: 39, minTimeout: 1, factor: 2, maxTimeout: 20, randomize: true };

/**
 * The one command pipeline: authorize, validate, (repeat check), load + decide, append with the
 * expected versions, answer. Rejections are thrown as typed DomainErrors. Every outcome is counted
 * (`ordersource_commands_total`): `ok`, the rejection's code, or INTERNAL_ERROR.
 */
export async function runCommand<I, R>(
  definition: CommandDefinition<I, R>,
  rawInput: Record<string, unknown>,
  request: CommandRequest,
): Promise<CommandSuccessPayload<R>> {
  const { metrics } = request.services;
  try {
    const payload = await inSpan(`command ${definition.name}`, { 'ordersource.command': definition.name }, () =>
      decideAndAppend(definition, rawInput, request),
    );
    metrics.recordCommand(definition.name, 'ok');
    return payload;
  } catch (error) {
    metrics.recordCommand(definition.name, error instanceof DomainError ? error.code : 'INTERNAL_ERROR');
    throw error;
  }
}

async function decideAndAppend<I, R>(
  definition: CommandDefinition<I, R>,
  rawInput: Record<string, unknown>,
  request: CommandRequest,
): Promise<CommandSuccessPayload<R>> {
  const actor = definition.authorize(request.auth);
  const env: CommandEnv = { actor, now: new Date(), newId: randomUUID, services: request.services };
  const payload = await decideAndAppendAs(definition, rawInput, request, env);
  await definition.afterCommit?.(payload.aggregateId, env);
  return payload;
}

async function decideAndAppendAs<I, R>(
  definition: CommandDefinition<I, R>,
  rawInput: Record<string, unknown>,
  request: CommandRequest,
  env: CommandEnv,
): Promise<CommandSuccessPayload<R>> {
  const { actor } = env;
  const { input, commandId: id, expectedVersion: userExpected } = parseCommandInput(definition.input, rawInput);
  const { services } = request;
  // Command ids are the caller's own: another caller's equal id is neither found nor reported.
  const caller = describeActor(actor);
  // Only a command with an id is checked for repeats: without one, hashing its input (canonical JSON
  // and SHA-256, about 2 % of a mutation's CPU in profiles) would be thrown away.
  const inputHash = id ? commandInputHash(definition.name, caller, input) : '';
  // A repeat answers with the first outcome, even where deciding again would now reject.
  const repeatOf = async (): Promise<CommandSuccessPayload<R> | undefined> => {
    if (!id) return undefined;
    // A prepared pg statement, not Prisma: every command with a commandId asks, and Prisma's per-query cost showed in profiles.
    const { rows } = await services.db.pool.query<{ inputHash: string; result: unknown }>({
      name: 'command-result-by-caller',
      text: 'SELECT input_hash AS "inputHash", result FROM command_results WHERE caller = $1 AND command_id = $2',
      values: [caller, id],
    });
    const stored = rows[0];
    if (stored && stored.inputHash !== inputHash) throw new IdempotencyKeyReusedError();
    return stored ? answerRepeat(definition, stored.result as unknown as AppendOutcome, env) : undefined;
  };
  const repeat = await repeatOf();
  if (repeat) return repeat;

  // Every command carries a command id, the client's or a fresh one of the server's, in its events'
  // metadata: should the answer to its append be lost, the events are looked up by it. A server id
  // is new for every request, so a request repeated without a commandId is a new command.
  const commandId = id ?? randomUUID();
  let target: PlannedAppend | undefined;
  return pRetry(
    async (attempt) => {
      if (attempt > 1) env.now = new Date();
      let plan: CommandPlan<R>;
      try {
        plan = await inSpan('load and decide', { 'ordersource.attempt': attempt }, () => definition.plan(input, env));
      } catch (error) {
        // The first run of this command id may have committed since the check above (concurrent
        // retries of one request): then its outcome is the answer, not this rejection.
        const firstRun = error instanceof DomainError ? await repeatOf() : undefined;
        if (firstRun) return firstRun;
        throw error;
      }
      target = plan.appends[0];
      if (userExpected !== undefined && userExpected !== target.expectedVersion) {
        throw new ConcurrencyConflictError(userExpected, target.expectedVersion);
      }
      const trust = services.eventStore.trustMark();
      const outcome = await inSpan('append', {}, () =>
        services.eventStore.append({
          streams: plan.appends.map(({ streamId, streamType, expectedVersion, events }) => ({
            streamId,
            streamType,
            expectedVersion,
            events,
          })),
          metadata: {
            commandId,
            correlationId: request.requestId,
            causationId: id ?? request.requestId,
            actor: caller,
            occurredAt: env.now.toISOString(),
            trace: traceCarrier(),
          },
          idempotency: id ? { caller, commandId: id, inputHash, result: { aggregateId: plan.aggregateId } } : undefined,
        }),
      );
      if (outcome.duplicate) return answerRepeat(definition, outcome, env);
      await rememberStates(plan.appends, outcome, services, trust);
      return { ...successFields(plan.aggregateId, target.streamId, outcome), entity: plan.entity };
    },
    {
      ...CONFLICT_RETRIES,
      // Only a conflict found by the append is worth deciding again, and not on the stream the
      // caller pinned with expectedVersion: that one answers CONCURRENCY_CONFLICT.
      shouldRetry: ({ error }) => error instanceof ConcurrencyError && !(userExpected !== undefined && error.streamId === target?.streamId),
    },
  );
}

function successFields(aggregateId: string, targetStreamId: string, outcome: AppendOutcome) {
  const target = outcome.streams.find((s) => s.streamId === targetStreamId) ?? outcome.streams[0];
  return {
    aggregateId,
    version: target?.version ?? 0,
    position: outcome.lastPosition,
    events: outcome.events.map(({ type, version, position }) => ({ type, version, position })),
  };
}

/** A repeated commandId answers as the first run did, with the entity as that run left it. */
async function answerRepeat<I, R>(
  definition: CommandDefinition<I, R>,
  outcome: AppendOutcome,
  env: CommandEnv,
): Promise<CommandSuccessPayload<R>> {
  const aggregateId = (outcome.result as { aggregateId: string }).aggregateId;
  const version = outcome.streams[0]?.version ?? 0;
  const fields = successFields(aggregateId, outcome.streams[0]?.streamId ?? '', outcome);
  return { ...fields, entity: await definition.replay(aggregateId, version, env) };
}
