/**
 * Flake rates (issue 21 item 1), from calibration runs: runs whose candidate and baseline are the same
 * release (`compat calibrate`, meta `calibration`), so every failure in them is noise. Each finished
 * first attempt of either side is one sample of each test it ran; a test's rate is how many of its
 * samples failed, per library, consumer and cell. Read from the stored outcomes, so a calibration run's
 * result counts as soon as it is recorded.
 */
import type Database from 'better-sqlite3';
import { flakeEstimate, type FlakeRate, type FlakeRateJson } from '../../common/flakes/rule.js';

const CALIBRATION_RUNS = `SELECT id FROM runs WHERE library = @library AND json_extract(meta, '$.calibration') IS NOT NULL`;

/** Every test of a consumer (or one cell) that failed in some calibration sample, with its rate. */
export function flakeRates(db: Database.Database, filter: { library: string; consumer?: string; cell?: string }): FlakeRateJson[] {
  const rows = db
    .prepare(
      `SELECT t.cell_id AS cell, t.test_id AS test, SUM(t.status = 'failed') AS failures, COUNT(*) AS samples, MAX(s.finished_at) AS measuredAt
       FROM test_outcomes t JOIN side_results s ON s.run_id = t.run_id AND s.cell_id = t.cell_id AND s.side = t.side AND s.attempt = t.attempt
       JOIN cells c ON c.run_id = t.run_id AND c.id = t.cell_id
       WHERE t.run_id IN (${CALIBRATION_RUNS}) AND t.attempt = 0 AND s.status IN ('passed', 'failed') AND t.status != 'skipped'
         AND (@consumer IS NULL OR c.consumer = @consumer) AND (@cell IS NULL OR t.cell_id = @cell)
       GROUP BY t.cell_id, t.test_id HAVING failures > 0 ORDER BY t.cell_id, failures * 1.0 / samples DESC, t.test_id`,
    )
    .all({ library: filter.library, consumer: filter.consumer ?? null, cell: filter.cell ?? null }) as Array<Omit<FlakeRateJson, 'rate'>>;
  return rows.map((r) => ({ ...r, rate: flakeEstimate(r) }));
}

/** The rates of one cell by test, as the verdict reads them. */
export function cellFlakeRates(db: Database.Database, library: string, cell: string): Map<string, FlakeRate> {
  return new Map(flakeRates(db, { library, cell }).map((r) => [r.test, { failures: r.failures, samples: r.samples, measuredAt: r.measuredAt }]));
}
