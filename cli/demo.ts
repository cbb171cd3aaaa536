/**
 * `compat demo`: on a fresh machine, the whole job. Materializes the example repositories, makes the
 * images, starts a local server and worker, runs the example library's v1.1.0 candidate against its
 * baseline across every consumer and backend, prints the verdict table and the dashboard URL.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Config } from '../common/config.js';
import { REPO_ROOT } from '../common/config.js';
import { materializeExamples } from '../examples/materialize.js';
import type { RunJson } from '../common/wire.js';
import { EXIT } from './exit-codes.js';
import { bisectCosts } from './table.js';
import { ensureLocalStack } from './local-stack.js';

export interface DemoDeps {
  say(msg: string): void;
  run(opts: { library: string; candidate: string; wait: boolean }, onDone?: (run: RunJson) => void): Promise<number>;
}

export async function runDemo(config: Config, deps: DemoDeps): Promise<number> {
  const started = Date.now();
  deps.say('demo: materializing the example repositories');
  await materializeExamples(path.join(REPO_ROOT, 'examples', '.repos'));
  deps.say('demo: making sure the images exist');
  const images = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'compat.js'), 'images'], { stdio: 'inherit', env: process.env });
  if (images.status !== 0) {
    deps.say('demo: images could not be prepared');
    return EXIT.incomplete;
  }
  await ensureLocalStack(config, { say: deps.say });
  deps.say('demo: running quarry v1.1.0 (candidate) against its previous release');
  let finished: RunJson | null = null;
  const code = await deps.run({ library: 'quarry', candidate: 'v1.1.0', wait: true }, (run) => (finished = run));
  // What naming the commit cost, in cell sides measured in this same run.
  for (const line of finished ? bisectCosts(finished) : []) deps.say(`demo: ${line}`);
  deps.say(`demo: finished in ${((Date.now() - started) / 1000).toFixed(0)} s; dashboard: ${config.publicUrl}`);
  deps.say('demo: next, the fixed release: node bin/compat.js run --library quarry --candidate v1.1.1 --wait');
  return code;
}
