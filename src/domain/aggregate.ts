/** When and by whom an event happened, as the decider's `evolve` sees it. */
export interface EventContext {
  /** ISO time the command was handled (the pipeline's clock, stored in the event metadata). */
  occurredAt: string;
}

/**
 * An event-sourced aggregate as pure functions. `decide` lives beside it (its signature differs per
 * aggregate: commands carry what the decision needs, such as prices and time, as arguments).
 */
export interface Aggregate<S, E extends { type: string; data: object }> {
  streamType: string;
  /** Bumped when the state's shape changes, so older snapshots are ignored. */
  snapshotSchemaVersion: number;
  initialState(): S;
  evolve(state: S, event: E, context: EventContext): S;
}

/** Makes a `switch` over a union exhaustive: a new member fails to compile until handled. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
