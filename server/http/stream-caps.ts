/**
 * Caps on answers the server holds open (followed logs, `/events` streams): in total and per client
 * address. A request past one gets 429 with a JSON error naming the cap and its setting; a slot is
 * given back when the answer ends or the client goes, whichever is first.
 */
import type { Request, Response } from 'express';
import { HttpError } from './handler.js';

export interface CapSpec {
  /** What is held, for the error: "log followers". */
  what: string;
  total: number;
  perClient: number;
  /** The environment variables that set the two caps, named in the error. */
  totalEnv: string;
  perClientEnv: string;
}

export class StreamCap {
  private total = 0;
  private readonly byClient = new Map<string, number>();

  constructor(readonly spec: CapSpec) {}

  get held(): number {
    return this.total;
  }

  /** Takes a slot for this request until its response closes; throws 429 when a cap is reached. */
  take(req: Request, res: Response): void {
    const client = req.socket.remoteAddress ?? 'unknown';
    const mine = this.byClient.get(client) ?? 0;
    const { what, total, perClient, totalEnv, perClientEnv } = this.spec;
    if (mine >= perClient) {
      throw new HttpError(429, `too many ${what} from this client: the cap is ${perClient} at once (${perClientEnv})`, { cap: perClientEnv, limit: perClient });
    }
    if (this.total >= total) {
      throw new HttpError(429, `too many ${what} on this server: the cap is ${total} at once (${totalEnv})`, { cap: totalEnv, limit: total });
    }
    this.total++;
    this.byClient.set(client, mine + 1);
    let given = false;
    const release = () => {
      if (given) return;
      given = true;
      this.total--;
      const left = (this.byClient.get(client) ?? 1) - 1;
      if (left > 0) this.byClient.set(client, left);
      else this.byClient.delete(client);
    };
    res.once('close', release);
    res.once('finish', release);
  }
}
