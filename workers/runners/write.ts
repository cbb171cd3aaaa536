import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunnerPreset, Selection } from './presets.js';

/**
 * Writes a preset's files into the side's rerun folder (`preset/`, which the container sees at
 * PRESET_DIR) and returns the variables that load them. Written again before each run of the suite:
 * a fallback to the whole suite must not keep the selection of the run before it.
 */
export function writePreset(preset: RunnerPreset, rerunDir: string, selection: Selection, env: Record<string, string>): Record<string, string> {
  const { env: added, files } = preset.invocation(selection, env);
  const dir = path.join(rerunDir, 'preset');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return added;
}
