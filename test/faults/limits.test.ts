/**
 * Fault 3: suites that misbehave inside their container, side by side with a passing one in the same
 * run: memory without end, a fork bomb, an endless loop, a disk filled, gigabytes of log, JUnit that is
 * an entity bomb or a huge payload. Each ends as a failure or a timeout with its reason named; the
 * worker lives on; the passing consumer is untouched; nothing is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunJson } from '../../common/types.js';
import { createDeployment, type Deployment } from '../helpers/processes.js';
import { faultMatrix, lostCells } from './fixtures.js';
import { HostileTally, record } from './report.js';

const LOG_LIMIT = 1024 * 1024;
/**
 * Output of the flooding suite, per side. Gigabytes take minutes on a loaded 2-core machine (the engine
 * streams some 30 MB/s there); a few hundred times the log limit shows the same.
 */
const FLOOD_BYTES = Number(process.env.COMPAT_FAULTS_FLOOD_BYTES ?? 200_000_000);

const LOL = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`)].join('\n ');

const SUITES: Record<string, string> = {
  'memhog.sh': `. ./lib.sh
exec python3 -c '
a = []
while True:
    a.append(b"x" * (8 << 20))
'
`,
  'forkbomb.sh': `. ./lib.sh
bomb() { bomb | bomb & }
bomb
while :; do sleep 1; done
`,
  'forever.sh': `. ./lib.sh
while :; do :; done
`,
  // /tmp is a tmpfs of its own size (no install snapshot: see the matrix): ENOSPC there. The workspace is watched: killed past diskMb.
  'diskfill.sh': `. ./lib.sh
dd if=/dev/zero of=/tmp/fill bs=1M
rm -f /tmp/fill
dd if=/dev/zero of=big.bin bs=1M count=100000
echo "wrote the workspace full"
pass diskfill
`,
  // $HOME is in the container's own writable layer: watched as well.
  'homefill.sh': `. ./lib.sh
dd if=/dev/zero of="$HOME/big.bin" bs=1M count=100000
echo "wrote the home directory full"
pass homefill
`,
  'logflood.sh': `. ./lib.sh
yes "flood: the quick brown fox jumps over the lazy dog 0123456789" | head -c "$FLOOD_BYTES"
pass logflood
`,
  'xmlbomb.sh': `. ./lib.sh
cat > "$COMPAT_RESULTS_DIR/bomb.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE lolz [
 ${LOL}
]>
<testsuite name="bomb"><testcase classname="bomb" name="laughs &lol9;"/></testsuite>
XML
{ printf '<testsuite name="huge"><testcase classname="huge" name="long_message"><failure message="'; head -c 8000000 /dev/zero | tr '\\0' A; printf '">boom</failure></testcase></testsuite>'; } > "$COMPAT_RESULTS_DIR/huge.xml"
exit 1
`,
};

let d: Deployment;
let run: RunJson | null = null;
const hostile = new HostileTally();

beforeAll(async () => {
  d = await createDeployment({
    matrix: (dir) =>
      faultMatrix(
        dir,
        [
          { name: 'good', suite: 'good.sh' },
          { name: 'memhog', suite: 'memhog.sh', resources: '{ memoryMb: 96, cpus: 0.5, pids: 64 }' },
          { name: 'forkbomb', suite: 'forkbomb.sh', timeoutSeconds: 8, resources: '{ memoryMb: 256, cpus: 0.5, pids: 32 }' },
          { name: 'forever', suite: 'forever.sh', timeoutSeconds: 6 },
          // Without an install snapshot /tmp is a tmpfs and the workspace a bind mount, each bounded its own
          // way; from a snapshot both are in the container's layer, as $HOME is (homefill covers that).
          { name: 'diskfill', suite: 'diskfill.sh', resources: '{ memoryMb: 768, cpus: 0.5, pids: 64, diskMb: 64 }', extra: ['        cacheInstall: false'] },
          { name: 'homefill', suite: 'homefill.sh', resources: '{ memoryMb: 256, cpus: 0.5, pids: 64, diskMb: 64 }' },
          { name: 'logflood', suite: 'logflood.sh', timeoutSeconds: 300, extra: [`        env: { FLOOD_BYTES: "${FLOOD_BYTES}" }`] },
          { name: 'xmlbomb', suite: 'xmlbomb.sh' },
        ],
        { extraSuites: SUITES },
      ),
    env: { COMPAT_LOG_LIMIT_BYTES: String(LOG_LIMIT) },
  });
  await d.startServer();
  await d.startWorker({ concurrency: 3 });
});

afterAll(async () => {
  const leftovers = await d.cleanup();
  record({
    test: 'limits',
    faults: 7 * 2, // seven misbehaving suites, each on both sides
    cellsLost: lostCells(run, 8),
    leftovers,
    hostileTried: hostile.tried,
    prefixes: [d.prefix],
  });
});

describe('limits inside the container', () => {
  it('ends each misbehaving suite with its reason named; the worker and the passing consumer are untouched', async () => {
    const created = await d.createRun({ library: 'lib', candidate: 'v1.1.0', baseline: 'v1.0.0' });
    run = await d.waitForRun(created.id, 600_000);
    const cell = (name: string) => run!.cells.find((c) => c.consumer === name)!;
    const sides = (name: string) => [cell(name).candidate, cell(name).baseline];

    expect(cell('good')).toMatchObject({ verdict: 'pass', candidate: { status: 'passed', tests: { passed: 1 } }, baseline: { status: 'passed' } });

    for (const side of sides('memhog')) expect(side).toMatchObject({ status: 'failed', reason: expect.stringMatching(/ran out of memory \(limit 96 MB\)/) });
    // The bomb either spins until the timeout or takes its shell down with it ("Cannot fork" is fatal
    // to dash): a timeout or a failure, the pid limit named either way.
    for (const side of sides('forkbomb')) {
      expect(['timeout', 'failed']).toContain(side.status);
      expect(side.reason).toMatch(side.status === 'timeout' ? /^timed out after 8 s; hit the pid limit \(32 processes\)$/ : /^hit the pid limit \(32 processes\)$/);
    }
    for (const side of sides('forever')) expect(side).toMatchObject({ status: 'timeout', reason: 'timed out after 6 s' });
    for (const name of ['diskfill', 'homefill']) {
      for (const side of sides(name)) expect(side).toMatchObject({ status: 'failed', reason: expect.stringMatching(/filled its disk \(limit 64 MB\)/) });
    }
    // Failing the same way on both sides is a pre-existing failure, never a regression.
    for (const name of ['memhog', 'forkbomb', 'forever', 'diskfill', 'homefill']) expect(cell(name).verdict).toBe('failing');
    const diskLog = await d.api('GET', `/api/runs/${run.id}/cells/diskfill.sqlite/logs?side=candidate`, undefined, null);
    expect(diskLog.text).toMatch(/No space left on device/); // /tmp: its tmpfs is full before memory is
    expect(diskLog.text).not.toContain('wrote the workspace full');

    // Gigabytes of output: the log stops at the limit with a marker, the suite still passes.
    expect(cell('logflood')).toMatchObject({ verdict: 'pass', candidate: { status: 'passed' }, baseline: { status: 'passed' } });
    for (const side of ['candidate', 'baseline']) {
      const log = await d.api('GET', `/api/runs/${run.id}/cells/logflood.sqlite/logs?side=${side}`, undefined, null);
      expect(log.text).toContain(`[compat-matrix: log truncated at ${LOG_LIMIT} bytes; the rest was dropped]`);
      expect(Buffer.byteLength(log.text)).toBeLessThan(LOG_LIMIT + 4096);
    }

    // JUnit entity bomb and an 8 MB message: read without expansion, bounded.
    const xml = await d.api('GET', `/api/runs/${run.id}/cells/xmlbomb.sqlite`, undefined, null);
    expect(xml.status).toBe(200);
    const tests = xml.body.tests.candidate as Array<{ id: string; status: string; message?: string }>;
    const laughs = tests.find((t) => t.id.startsWith('bomb::'));
    expect(hostile.note(laughs?.id === 'bomb::laughs &lol9;' && laughs.status === 'passed')).toBe(true);
    const huge = tests.find((t) => t.id === 'huge::long_message');
    expect(hostile.note(huge?.status === 'failed' && huge.message!.length <= 4000)).toBe(true);
    expect(cell('xmlbomb').verdict).toBe('failing');

    // The worker lived through all of it, and nothing of the run is left.
    expect(d.workers[0].running).toBe(true);
    expect(d.workers[0].output()).not.toMatch(/Unhandled|FATAL|heap out of memory/i);
    expect(await d.containers()).toEqual([]);
  });
});
