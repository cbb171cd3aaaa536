/** Files a test inspects as a whole (log folders, archives). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The text of every file under a folder, concatenated. */
export function textOfFilesUnder(dir: string): string {
  const out: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const file = path.join(current, name);
      if (statSync(file).isDirectory()) walk(file);
      else out.push(readFileSync(file, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}
