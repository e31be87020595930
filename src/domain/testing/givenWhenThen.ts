import { expect } from 'vitest';
import type { Aggregate } from '../aggregate.js';
import type { DomainError } from '../errors.js';

/**
 * Given/when/then for pure deciders (Emmett style), for unit tests only.
 *
 *   const given = deciderSpec(orderAggregate, decideOrder);
 *   given(created, itemAdded).when(submit).thenEmits([submitted]);
 *   given().when(submit).thenRejects(NotFoundError, 'NOT_FOUND');
 *
 * "given" folds past events with the aggregate's `evolve` from `initialState()`; event `i` happens
 * at `occurredAt(i)`. "when" runs `decide(command, state)`. "then" compares the decision exactly, or
 * checks the rejection's class and `code` and returns the error for further assertions.
 */

/** Deterministic event time: event `index` of a `given` happened `index` minutes after 10:00 UTC. */
export function occurredAt(index: number): string {
  return new Date(Date.UTC(2024, 4, 1, 10, index, 0)).toISOString();
}

/** Folds events from the aggregate's initial state, event `i` at `occurredAt(i)`. */
export function foldEvents<S, E extends { type: string; data: object }>(aggregate: Aggregate<S, E>, events: readonly E[]): S {
  return events.reduce(
    (state, event, index) => aggregate.evolve(state, event, { occurredAt: occurredAt(index) }),
    aggregate.initialState(),
  );
}

export interface Then<D> {
  /** The decision (the events to append) equals `expected` exactly. */
  thenEmits(expected: D): void;
  /** The command is rejected with an instance of `errorClass` carrying `code`; returns that error. */
  thenRejects<X extends DomainError>(errorClass: abstract new (...args: never[]) => X, code: X['code']): X;
}

export interface Given<S, C, D> {
  /** The state folded from the given events. */
  state: S;
  when(command: C): Then<D>;
}

export function deciderSpec<S, E extends { type: string; data: object }, C, D>(
  aggregate: Aggregate<S, E>,
  decide: (command: C, state: S) => D,
): (...events: E[]) => Given<S, C, D> {
  return (...events) => {
    const state = foldEvents(aggregate, events);
    const snapshot = structuredClone(state);
    // A decider is pure: deciding (accepting or rejecting) must leave the given state as it was.
    const attempt = (command: C): { accepted: true; decision: D } | { accepted: false; error: unknown } => {
      let outcome: { accepted: true; decision: D } | { accepted: false; error: unknown };
      try {
        outcome = { accepted: true, decision: decide(command, state) };
      } catch (error) {
        outcome = { accepted: false, error };
      }
      expect(state, 'decide mutated the state it was given').toStrictEqual(snapshot);
      return outcome;
    };
    return {
      state,
      when: (command) => ({
        thenEmits(expected) {
          const outcome = attempt(command);
          if (!outcome.accepted) throw outcome.error;
          expect(outcome.decision).toStrictEqual(expected);
        },
        thenRejects<X extends DomainError>(errorClass: abstract new (...args: never[]) => X, code: X['code']): X {
          const outcome = attempt(command);
          if (outcome.accepted) {
            return expect.unreachable(
              `expected ${errorClass.name} (${code}), but the command was accepted with ${JSON.stringify(outcome.decision)}`,
            );
          }
          expect(outcome.error).toBeInstanceOf(errorClass);
          expect((outcome.error as X).code).toBe(code);
          return outcome.error as X;
        },
      }),
    };
  };
}
