export interface HoldBackOptions {
  /** How long an item just run is left out (until the read model it is chosen from has caught up). */
  afterRunMs: number;
  /** The longest an item refused again and again is left out (each refusal doubles the pause). */
  maxMs: number;
}

/**
 * The items a scheduler has just run or been refused, left out of its next reads for a while. An
 * item run (or refused) a moment ago is usually still due in the read model it comes from, which
 * has not yet applied the outcome: running it again would only repeat the work. An item refused
 * again after that is no race the read model will settle: it is left alone twice as long after
 * each refusal, so a backlog of such items does not keep an idle server busy.
 */
export class HoldBack {
  private readonly items = new Map<string, { until: number; refusals: number }>();

  constructor(private readonly options: HoldBackOptions) {}

  /** Leaves `key` out for a while; returns how many times in a row it was refused. */
  remember(key: string, refused: boolean): number {
    const refusals = refused ? (this.items.get(key)?.refusals ?? 0) + 1 : 0;
    const ms = Math.min(this.options.afterRunMs * 2 ** Math.max(0, refusals - 1), this.options.maxMs);
    this.items.set(key, { until: Date.now() + ms, refusals });
    return refusals;
  }

  /** The keys left out now. */
  keys(): string[] {
    const now = Date.now();
    const left: string[] = [];
    for (const [key, { until, refusals }] of this.items) {
      if (until > now) left.push(key);
      // A refused item's count is kept a while after its pause, for the next refusal's longer one.
      else if (refusals === 0 || now - until > this.options.maxMs) this.items.delete(key);
    }
    return left;
  }

  clear(): void {
    this.items.clear();
  }
}
