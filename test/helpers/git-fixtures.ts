/**
 * Real git repositories for tests, in temp dirs: each version is a set of files committed and tagged in
 * order (later versions inherit earlier files unless they override them).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.org',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.org',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
};

function git(dir: string, args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' });
}

export interface Version {
  /** An annotated tag on the commit; none for a commit between releases. */
  tag?: string;
  files: Record<string, string>;
  message?: string;
}

export function makeRepo(dir: string, versions: Version[]): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  for (const version of versions) {
    for (const [file, content] of Object.entries(version.files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content, { mode: file.endsWith('.sh') ? 0o755 : 0o644 });
    }
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '--allow-empty', '-m', version.message ?? `release ${version.tag}`]);
    if (version.tag) git(dir, ['tag', '-a', version.tag, '-m', version.tag]);
  }
  return dir;
}

/**
 * A library whose "artifact" is a behaviour file, and a consumer whose suite acts on it: fast, real
 * containers, real JUnit, no package registry. Behaviours: ok, break-b, flaky-b (candidate's first attempt),
 * flaky-once-b (any side's first attempt: a bisect step's first try), hang, both-fail-a(-and-c), build-fails.
 * A null tag makes a commit between releases.
 */
export function fixtureLibrary(dir: string, behaviours: Array<[tag: string | null, behaviour: string]>): string {
  return makeRepo(
    dir,
    behaviours.map(([tag, behaviour], i) => ({
      tag: tag ?? undefined,
      message: tag ? `release ${tag}` : `commit ${i}: ${behaviour}`,
      files: {
        'behaviour.txt': `${behaviour}\n`,
        'build.sh': behaviour === 'build-fails'
          ? 'echo "compiling..."; echo "error: syntax" >&2; exit 3\n'
          : 'cp behaviour.txt "$COMPAT_ARTIFACT_DIR/behaviour.txt"\necho built\n',
      },
    })),
  );
}

/** The consumer's suite: three tests a, b, c written as JUnit XML; which fail depends on the artifact. */
export const FIXTURE_SUITE = `#!/bin/sh
set -u
behaviour=$(cat "$COMPAT_ARTIFACT_DIR/behaviour.txt")
echo "suite on $COMPAT_SIDE ($COMPAT_LIBRARY_VERSION), behaviour=$behaviour, attempt=$COMPAT_ATTEMPT, db=$DATABASE_URL"
a=pass; b=pass; c=pass
case "$behaviour" in
  break-b) b=fail ;;
  flaky-b) if [ "$COMPAT_SIDE" = candidate ] && [ "$COMPAT_ATTEMPT" = 0 ]; then b=fail; fi ;;
  flaky-once-b) if [ "$COMPAT_ATTEMPT" = 0 ]; then b=fail; fi ;;
  hang) echo "hanging"; sleep 3600 ;;
  both-fail-a) a=fail ;;
  both-fail-a-and-c) a=fail; c=fail ;;
esac
case "$a$b$c" in *fail*) status=1 ;; *) status=0 ;; esac
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<testsuites><testsuite name="fixture">'
  for t in a b c; do
    eval r=\\$$t
    if [ "$r" = fail ]; then
      echo "<testcase classname=\\"suite\\" name=\\"test_$t\\"><failure message=\\"test_$t broke &amp; stopped\\">assert 1 == 2</failure></testcase>"
    else
      echo "<testcase classname=\\"suite\\" name=\\"test_$t\\" time=\\"0.01\\"/>"
    fi
  done
  echo '</testsuite></testsuites>'
} > "$COMPAT_RESULTS_DIR/junit.xml"
exit $status
`;

export function fixtureConsumer(dir: string): string {
  return makeRepo(dir, [{ tag: 'v1.0.0', files: { 'run-tests.sh': FIXTURE_SUITE, 'README': 'fixture consumer\n' } }]);
}

/** The first-parent commits after `from` up to `to` in `repo`, oldest first: the ones a bisect walks. */
export function commitsBetween(repo: string, from: string, to: string): string[] {
  return execFileSync('git', ['rev-list', '--first-parent', '--reverse', `${from}..${to}`], { cwd: repo, encoding: 'utf8' }).trim().split('\n');
}
