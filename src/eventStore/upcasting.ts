/** An event payload as stored (JSON). */
export type EventData = Record<string, unknown>;

/**
 * Brings one event type's payload from schema version `fromVersion` to `fromVersion + 1`. Pure: the
 * same stored payload always upcasts to the same result, whenever and wherever it is read.
 */
export interface Upcaster {
  eventType: string;
  fromVersion: number;
  upcast(data: EventData): EventData;
}

/**
 * Declares an upcaster with its payload types, so the feature's file says which shape it reads and
 * which it writes (the stored JSON is trusted to have the older shape, as the log is append-only).
 */
export function defineUpcaster<From extends object, To extends object>(
  eventType: string,
  fromVersion: number,
  upcast: (data: From) => To,
): Upcaster {
  return { eventType, fromVersion, upcast: upcast as unknown as (data: EventData) => EventData };
}

/** A stored event's schema version is newer than any this code knows (written by a newer release). */
export class UnknownSchemaVersionError extends Error {
  constructor(eventType: string, version: number, current: number) {
    super(`event ${eventType} has schema version ${version}, newer than the ${current} this release knows`);
  }
}

/**
 * Every event type's current schema version and the chain of upcasters that lead to it. An event
 * type's current version is one past its last upcaster (1 when it has none), so declaring a new
 * version and providing the way up to it are the same act and cannot disagree.
 */
export class EventUpcasters {
  private readonly chains = new Map<string, ((data: EventData) => EventData)[]>();

  constructor(upcasters: readonly Upcaster[] = []) {
    const byType = new Map<string, Upcaster[]>();
    for (const u of upcasters) byType.set(u.eventType, [...(byType.get(u.eventType) ?? []), u]);
    for (const [type, list] of byType) {
      const sorted = [...list].sort((a, b) => a.fromVersion - b.fromVersion);
      sorted.forEach((u, i) => {
        // A gap or a duplicate would leave some stored versions with no way up, or two.
        if (u.fromVersion !== i + 1)
          throw new Error(
            `upcasters of ${type} must go 1 -> 2 -> 3 ... without gaps or duplicates (found ${sorted.map((s) => s.fromVersion).join(', ')})`,
          );
      });
      this.chains.set(
        type,
        sorted.map((u) => u.upcast),
      );
    }
  }

  /** False when every event type is at version 1 (nothing to stamp or upcast). */
  get any(): boolean {
    return this.chains.size > 0;
  }

  /** The schema version new events of `type` are written with. */
  currentVersion(type: string): number {
    return (this.chains.get(type)?.length ?? 0) + 1;
  }

  /** `data` of a `type` event stored at `schemaVersion`, in the current shape. */
  upcastData(type: string, schemaVersion: number, data: EventData): EventData {
    const chain = this.chains.get(type);
    const current = (chain?.length ?? 0) + 1;
    if (schemaVersion === current) return data;
    if (schemaVersion > current) throw new UnknownSchemaVersionError(type, schemaVersion, current);
    let upcast = data;
    for (let version = Math.max(schemaVersion, 1); version < current; version++) upcast = chain![version - 1]!(upcast);
    return upcast;
  }

  /** The event in its current shape (the same object when it already is). */
  upcast<T extends { type: string; schemaVersion: number; data: EventData }>(event: T): T {
    const current = this.currentVersion(event.type);
    if (event.schemaVersion === current) return event;
    return { ...event, data: this.upcastData(event.type, event.schemaVersion, event.data), schemaVersion: current };
  }

  /** Stamps each new event with its type's current schema version (unless the caller set one). */
  stamp<T extends { type: string; schemaVersion?: number }>(event: T): T {
    if (event.schemaVersion !== undefined) return event;
    const current = this.currentVersion(event.type);
    // Version 1 is the column's default: no need to send it.
    return current === 1 ? event : { ...event, schemaVersion: current };
  }
}
