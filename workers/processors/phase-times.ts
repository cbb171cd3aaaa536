/**
 * Where a cell side's time goes, phase by phase (CONTRACT: side field `phases: {name: ms}`): stored with
 * the result, shown on the cell page and exported in /metrics. A phase measured twice adds up.
 */
export class PhaseTimes {
  readonly ms: Record<string, number> = {};

  add(name: string, ms: number): void {
    this.ms[name] = (this.ms[name] ?? 0) + Math.max(0, Math.round(ms));
  }

  /** Times `fn` as phase `name`, whether it resolves or throws. */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      this.add(name, Date.now() - started);
    }
  }
}
