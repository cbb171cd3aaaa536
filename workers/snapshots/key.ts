/**
 * What an install snapshot and a candidate layer are keyed by. A key changes whenever anything that can
 * change the installed filesystem changes: the consumer and its commit, the image (by id, so a rebuilt
 * image makes new snapshots), the command and its env, and the lockfiles the checkout holds.
 */
import { createHash } from 'node:crypto';

/** Files that pin what an install step fetches, by ecosystem. */
export const LOCKFILES = [
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'requirements.txt',
  'requirements-dev.txt',
  'constraints.txt',
  'pyproject.toml',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'setup.py',
  'setup.cfg',
];

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Digest of the lockfiles a commit holds, from their git content ids (absent ones count as absent). */
export function lockfilesDigest(blobIds: Record<string, string>): string {
  return digest(LOCKFILES.filter((name) => name in blobIds).map((name) => [name, blobIds[name]]));
}

export interface InstallKeyParts {
  consumer: string;
  repo: string;
  sha: string;
  imageId: string;
  install: string;
  env: Record<string, string>;
  lockfiles: string;
}

export function installSnapshotKey(parts: InstallKeyParts): string {
  return digest({ v: 1, layer: 'install', ...parts, env: Object.entries(parts.env).sort() });
}

export interface CandidateKeyParts {
  snapshot: string;
  artifactDigest: string;
  installCandidate: string;
  env: Record<string, string>;
}

export function candidateLayerKey(parts: CandidateKeyParts): string {
  return digest({ v: 1, layer: 'candidate', ...parts, env: Object.entries(parts.env).sort() });
}

/** Content digest of an artifact set: names and bytes, in name order. */
export function artifactDigest(files: Map<string, Buffer>): string {
  const hash = createHash('sha256');
  for (const name of [...files.keys()].sort()) {
    hash.update(`${name}\0`).update(createHash('sha256').update(files.get(name)!).digest('hex')).update('\0');
  }
  return hash.digest('hex');
}
