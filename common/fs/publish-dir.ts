/**
 * Makes a folder that processes sharing a data dir (compose's workers on one host) may all want at
 * once: each builds it under a name of its own and renames it into place, so nobody ever sees it half
 * made. The first rename wins; the others drop what they built and use the winner's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Returns whether `build` ran: false when a whole folder was there already (a cache hit). */
export async function publishDir(dir: string, build: (tmp: string) => Promise<void> | void, isWhole: (dir: string) => boolean): Promise<boolean> {
  if (isWhole(dir)) return false;
  mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await build(tmp);
    for (let tries = 0; ; tries++) {
      try {
        renameSync(tmp, dir);
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || tries >= 3) throw error;
        if (isWhole(dir)) return true;
        // Not whole: left by a process that died while writing it in place (before this was the way).
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
