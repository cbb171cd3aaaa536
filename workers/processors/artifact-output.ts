/**
 * Reads what a library build left in its artifact folder. The build is untrusted code: a link there
 * may point at any file of the worker host (its /etc/shadow), and a pipe would block a read forever. So
 * nothing is followed (each file is opened with O_NOFOLLOW and checked on the open descriptor), only
 * regular files at the folder's top level are taken, and the whole is capped before it goes to Redis.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import path from 'node:path';

/** How the folder is named in messages: as the build script knows it. */
const SHOWN_AS = '$COMPAT_ARTIFACT_DIR';

/** The build's output cannot be used; the message says which file and why. Deterministic: never retried. */
export class ArtifactOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactOutputError';
  }
}

function kindOf(entry: Pick<Dirent, 'isSymbolicLink' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isBlockDevice' | 'isCharacterDevice'>): string {
  if (entry.isSymbolicLink()) return 'a symbolic link';
  if (entry.isDirectory()) return 'a directory';
  if (entry.isFIFO()) return 'a named pipe';
  if (entry.isSocket()) return 'a socket';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

function refuse(name: string, kind: string): never {
  throw new ArtifactOutputError(`${SHOWN_AS}/${name} is ${kind}; an artifact holds regular files only, at the folder's top level`);
}

/** The files of `dir` by name, at most `limitMb` MB together. Throws {@link ArtifactOutputError}. */
export function readArtifactOutput(dir: string, limitMb: number): Map<string, Buffer> {
  const limitBytes = limitMb * 1024 * 1024;
  const files = new Map<string, Buffer>();
  let total = 0;
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (!entry.isFile()) refuse(entry.name, kindOf(entry));
    let fd: number;
    try {
      // O_NONBLOCK: should the entry have become a pipe since it was listed, opening it does not hang.
      fd = openSync(path.join(dir, entry.name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') refuse(entry.name, 'a symbolic link');
      throw error;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) refuse(entry.name, kindOf(stat));
      total += stat.size;
      if (total > limitBytes) {
        throw new ArtifactOutputError(
          `artifact is over the ${limitMb} MB limit (COMPAT_ARTIFACT_LIMIT_MB): with ${SHOWN_AS}/${entry.name} it is ${total} bytes`,
        );
      }
      const data = Buffer.alloc(stat.size);
      let read = 0;
      while (read < data.length) {
        const n = readSync(fd, data, read, data.length - read, read);
        if (n === 0) break;
        read += n;
      }
      files.set(entry.name, data.subarray(0, read));
    } finally {
      closeSync(fd);
    }
  }
  return files;
}
