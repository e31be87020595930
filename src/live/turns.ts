/**
 * A bounded number of turns (a counting semaphore): `take` resolves once fewer than `max` are
 * held, in the order asked, with what gives the turn back (idempotent). A turn given back goes
 * straight to the next in line, so none is taken twice meanwhile.
 */
export class Turns {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async take(): Promise<() => void> {
    if (this.held < this.max) this.held++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    };
  }

  /** Turns held now (tests, metrics). */
  get inUse(): number {
    return this.held;
  }
}
