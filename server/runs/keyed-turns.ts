/**
 * Work that must not overlap per key takes turns: the next task of a key starts when the one before it
 * has settled (whether it failed or not), tasks of other keys run freely, and a key is forgotten once
 * its last task settles. The webhook handlers plan one tag's or one PR's events in order with it.
 */
export class KeyedTurns {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.tails.set(key, next);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === next) this.tails.delete(key);
    }
  }
}
