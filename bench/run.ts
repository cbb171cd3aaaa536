/**
 * `npm run bench`: each benchmark prints ratios measured within its own run. Nothing here is a test and
 * nothing gates CI. `npm run bench -- NAME` runs one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benches: Record<string, () => Promise<void>> = {
  clusters: async () => (await import('./clusters.js')).benchClusters(),
  pipeline: async () => (await import('./pipeline.js')).benchPipeline(),
  speed: async () => (await import('./speed.js')).benchSpeed(),
  throughput: async () => (await import('./throughput.js')).benchThroughput(),
  schema: async () => (await import('./schema.js')).benchSchema(),
};
if (existsSync(fileURLToPath(new URL('./dashboard.ts', import.meta.url)))) {
  benches.dashboard = async () => (await import('./dashboard.js' as string)).benchDashboard();
}

const only = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`== ${name}`);
  await bench();
}
process.exit(0);
