/**
 * Global setup of the "faults" project: names the ledger the tests append to, and at the end prints the
 * suite's summary. "Orphaned" is asked of the real engines after every test has cleaned up: containers
 * and networks carrying one of the suite's prefixes, and cell databases the suite used that are still
 * on the shared servers. A container a worker reported held by the engine (its driver refuses to remove
 * it: issue 24) is counted apart, `held by the engine N`, and does not fail the suite; any other
 * container left is an orphan. The teardown fails the run if anything was lost or left.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../../common/config.js';
import { createDocker } from '../../common/docker/engine.js';
import { containersWith, LABEL_PREFIX } from '../../workers/container/docker.js';
import { DatabaseServers } from '../../workers/databases/servers.js';
import type { LedgerEntry } from './report.js';

export default function setup(project: TestProject) {
  const dir = path.join(process.env.COMPAT_DATA_DIR ?? path.join(REPO_ROOT, '.compat'), 'faults');
  mkdirSync(dir, { recursive: true });
  // Only the latest suite's ledger and summary are kept.
  for (const old of readdirSync(dir)) if (old.startsWith('ledger-')) rmSync(path.join(dir, old), { force: true });
  const ledger = path.join(dir, `ledger-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
  writeFileSync(ledger, '');
  project.provide('faultsLedger', ledger);
  const started = Date.now();

  return async () => {
    const entries: LedgerEntry[] = existsSync(ledger)
      ? readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as LedgerEntry)
      : [];
    const sum = (f: (e: LedgerEntry) => number | undefined) => entries.reduce((n, e) => n + (f(e) ?? 0), 0);
    const prefixes = [...new Set(entries.flatMap((e) => e.prefixes ?? []))];
    const docker = createDocker();
    const held = new Map(entries.flatMap((e) => e.heldByEngine ?? []).map((h) => [h.id, h]));
    let containers = sum((e) => e.leftovers?.containers);
    let networks = sum((e) => e.leftovers?.networks);
    let databases = sum((e) => e.leftovers?.databases);
    const problems: string[] = [];
    try {
      for (const prefix of prefixes) {
        containers += (await containersWith(docker, { [LABEL_PREFIX]: prefix })).filter((c) => !held.has(c.Id)).length;
        networks += (await docker.listNetworks({ filters: { label: [`${LABEL_PREFIX}=${prefix}`] } })).length;
      }
      const used = entries.flatMap((e) => e.databases ?? []);
      const hostId = (process.env.COMPAT_HOST_ID ?? os.hostname()).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);
      const servers = new DatabaseServers(docker, { network: process.env.COMPAT_NETWORK ?? 'compat-net', hostId });
      for (const backend of ['postgres', 'mysql'] as const) {
        const mine = used.filter((u) => u.backend === backend);
        if (mine.length === 0) continue;
        const present = new Set(await servers.listCellDatabases(backend, mine[0].image));
        databases += mine.filter((u) => present.has(u.name)).length;
      }
    } catch (error) {
      problems.push(`could not ask Docker / the database servers: ${(error as Error).message}`);
    }
    const faults = sum((e) => e.faults);
    const lost = sum((e) => e.cellsLost);
    const tried = sum((e) => e.hostileTried);
    const orphaned = containers + networks + databases;
    const wall = Math.round((Date.now() - started) / 1000);
    const line =
      `fault suite: faults injected ${faults}, cells lost ${lost}, ` +
      `orphaned containers/networks/databases ${orphaned} (${containers}/${networks}/${databases}), held by the engine ${held.size}, ` +
      `hostile inputs tried ${tried}, each refused (${entries.length} ledger entries, ${Math.floor(wall / 60)}m${wall % 60}s)`;
    writeFileSync(ledger.replace(/\.jsonl$/, '.summary.txt'), `${line}\n`);
    console.log(`\n${line}\n`);
    if (problems.length) console.log(problems.join('\n'));
    for (const h of held.values()) console.log(`held by the engine: ${h.name ?? h.id}: ${h.error}`);
    // Hostile inputs are not checked here: each test asserts that every one it tried was refused, so
    // a passing suite refused them all, and a failing one has already failed.
    if (entries.length > 0 && (lost > 0 || orphaned > 0)) {
      throw new Error(`fault suite summary is not clean: ${line}`);
    }
  };
}
