import type { InputFieldBuilder, InputFieldRef, ObjectFieldsShape } from '@pothos/core';
import { runCommand, type CommandDefinition, type CommandSuccessPayload } from '../commands/pipeline.js';
import type { DomainError } from '../domain/errors.js';
import { definedOnce, type Builder, type BuilderTypes } from './builder.js';
import { COMMON_COMMAND_ERRORS, errorTypes } from './errorTypes.js';
import type { GraphQLContext } from './context.js';

type Payload = CommandSuccessPayload<unknown>;

/** What every mutation's success type builds on; defined once per builder. */
const commandTypes = definedOnce((builder) => {
  const EventInfo = builder.objectRef<Payload['events'][number]>('EventInfo').implement({
    description: 'An event the command appended.',
    fields: (t) => ({
      type: t.exposeString('type'),
      version: t.exposeInt('version', { description: 'Its version within its stream.' }),
      position: t.exposeString('position', { description: 'Its global position (a consistency token).' }),
    }),
  });

  /** `interface CommandSuccess`: what every successful mutation answers: the aggregate, its new version and the consistency token. */
  const CommandSuccess = builder.interfaceRef<Payload>('CommandSuccess').implement({
    fields: (t) => ({
      aggregateId: t.exposeID('aggregateId', { description: 'The order id, the new customer id, or the sku.' }),
      version: t.exposeInt('version', { description: 'The aggregate version after the command: pass it as expectedVersion next time.' }),
      position: t.exposeString('position', {
        description: 'Opaque consistency token: pass it as `consistentWith` to read your own write.',
      }),
      events: t.field({ type: [EventInfo], resolve: (p) => p.events }),
    }),
  });
  return { CommandSuccess };
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- error classes take different constructor arguments
type ErrorClass = new (...args: any[]) => DomainError;

/** A command's GraphQL input: its own fields (validated by its zod schema in the pipeline) plus the pipeline's. */
type CommandInput = Record<string, unknown>;

/** The fields a command's success type adds to CommandSuccess, from the payload of a command answering `R`. */
export type CommandSuccessFields<R> = ObjectFieldsShape<BuilderTypes, CommandSuccessPayload<R>>;

export interface CommandMutationOptions<I, R> {
  /** The mutation's name, e.g. `submitOrder`; types are named after it (`SubmitOrderInput`, ...). */
  name: string;
  description: string;
  definition: CommandDefinition<I, R>;
  /** The command's own input fields, one per field of its input schema; `commandId` (and `expectedVersion`) are added here. */
  input: (t: InputFieldBuilder<BuilderTypes, 'InputObject'>) => { [K in keyof I]-?: InputFieldRef<BuilderTypes, I[K] | null | undefined> };
  /** True for commands on an existing aggregate: adds `expectedVersion`. */
  onExistingAggregate: boolean;
  /** The success type's own fields besides CommandSuccess's, e.g. `order: Order!` (resolved with `entityAtPosition`). */
  success: CommandSuccessFields<R>;
  /** Rejections specific to this command (the common ones are always there). */
  errors: ErrorClass[];
  /**
   * Checked before the command runs, with the request's context (its client address, say): throws
   * a DomainError (one of `errors`) to refuse the command.
   */
  admit?(context: GraphQLContext): Promise<void>;
}

/**
 * The command's entity with the command's position, so fields read from the read side (an order's
 * history) can wait until it includes this command.
 */
export const entityAtPosition = <R>(payload: CommandSuccessPayload<R>): R & { position: string } => ({
  ...payload.entity,
  position: payload.position,
});

/**
 * Declares one command as a mutation: `name(input: NameInput!): NameResult!`, where `NameResult`
 * is a union of `NameSuccess` (implements CommandSuccess, adds the entity field) and the error types.
 */
export function commandMutation<I, R>(builder: Builder, options: CommandMutationOptions<I, R>): void {
  const { CommandSuccess } = commandTypes(builder);
  errorTypes(builder);
  const pascal = options.name[0]!.toUpperCase() + options.name.slice(1);
  const Input = builder.inputRef<CommandInput>(`${pascal}Input`).implement({
    fields: (t) => ({
      ...options.input(t),
      commandId: t.id({
        required: false,
        description:
          "Idempotency key, scoped to the caller (another caller's equal key never meets it): a repeat with the same input returns the first result and appends nothing.",
      }),
      ...(options.onExistingAggregate
        ? {
            expectedVersion: t.int({
              required: false,
              description: 'Fail with CONCURRENCY_CONFLICT unless the aggregate is at this version.',
            }),
          }
        : {}),
    }),
  });
  const Success = builder.objectRef<CommandSuccessPayload<R>>(`${pascal}Success`).implement({
    interfaces: [CommandSuccess],
    fields: options.success,
  });
  builder.mutationField(options.name, (t) =>
    t.field({
      description: options.description,
      type: Success,
      args: { input: t.arg({ type: Input, required: true }) },
      errors: { types: [...options.errors, ...COMMON_COMMAND_ERRORS], union: { name: `${pascal}Result` } },
      resolve: async (_root, args, ctx) => {
        await options.admit?.(ctx);
        return runCommand(options.definition, args.input, { auth: ctx.auth, services: ctx.services, requestId: ctx.correlationId });
      },
    }),
  );
}
