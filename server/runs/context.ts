/**
 * What a run was planned with, read from the store once per message (not once per cell): its record,
 * its plan, its cells' keys and consumers. The plan and the cells never change after planning; the
 * record's status and verdict are as loaded, so a step that changes them reads them again.
 */
import { databaseImageOf, parseCellId, type CellKey } from '../../common/cell.js';
import type { ResolvedConsumer } from '../../common/matrix/load.js';
import type { CellJob } from '../../common/queue/jobs.js';
import type { RunPlanMeta } from '../store/schema.js';
import type { Store, StoredRun } from '../store/store.js';

export interface PlannedCell {
  id: string;
  key: CellKey;
  config: ResolvedConsumer;
}

export class RunContext {
  private ids: string[] | undefined;
  private readonly cells = new Map<string, PlannedCell | null>();

  private constructor(
    private readonly store: Pick<Store, 'cellIds' | 'cellConfig'>,
    readonly run: StoredRun,
  ) {}

  /** The run's context; undefined for a run the store does not have. */
  static load(store: Pick<Store, 'runRecord' | 'cellIds' | 'cellConfig'>, runId: string): RunContext | undefined {
    const run = store.runRecord(runId);
    return run ? new RunContext(store, run) : undefined;
  }

  /** How the run was planned. Throws for a run stored without a plan, when something needs it. */
  get plan(): RunPlanMeta {
    // Every run is stored with its plan (Orchestrator.createRun); one without is not this server's to drive.
    if (!this.run.meta.plan) throw new Error(`run "${this.run.id}" has no plan in its meta`);
    return this.run.meta.plan;
  }

  get id(): string {
    return this.run.id;
  }

  /** The run's cell ids, in id order (what job priorities number). */
  cellIds(): string[] {
    this.ids ??= this.store.cellIds(this.run.id);
    return this.ids;
  }

  /** A cell of the run, its consumer parsed once (a run may have 10,000 cells: only the ones asked for are). */
  cell(id: string): PlannedCell | undefined {
    if (!this.cells.has(id)) {
      const config = this.store.cellConfig(this.run.id, id);
      this.cells.set(id, config ? { id, key: parseCellId(id), config } : null);
    }
    return this.cells.get(id) ?? undefined;
  }
}

/** What every job on a cell carries, a cell side's or a bisect step's: which cell, its consumer and its database. */
export function cellJob(run: RunContext, cell: PlannedCell): Pick<CellJob, 'runId' | 'cellId' | 'library' | 'backend' | 'consumer' | 'databaseImage'> {
  return {
    runId: run.id,
    cellId: cell.id,
    library: run.run.library,
    backend: cell.key.backend,
    consumer: cell.config,
    databaseImage: databaseImageOf(run.plan.databases, cell.key),
  };
}
