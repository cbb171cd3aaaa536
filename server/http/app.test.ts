/** The route table on an in-memory store and fake ports: no Redis, Docker or git. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokens } from '../auth/tokens.js';
import { serveHarness, type HarnessApp } from '../testing/app-server.js';
import { harness } from '../testing/harness.js';

const h = harness();
const tokens = new Tokens(h.store);
const { token } = tokens.create('ci', 'write');
let served: HarnessApp;
let base = '';
beforeAll(async () => {
  served = await serveHarness(h, tokens, 'app');
  base = served.base;
});
afterAll(() => served.close());

const call = async (method: string, url: string, init: { token?: string; body?: string } = {}) => {
  const headers: Record<string, string> = init.body ? { 'content-type': 'application/json' } : {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(base + url, { method, headers, body: init.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('createApp', () => {
  it('checks the token before it reads the body', async () => {
    expect(await call('POST', '/api/runs', { body: '{not json' })).toMatchObject({ status: 401 });
    expect(await call('POST', '/api/runs', { token, body: '{not json' })).toEqual({ status: 400, body: { error: 'request body is not valid JSON' } });
  });

  it('creates a run and answers for it, its list and its cell', async () => {
    const created = await call('POST', '/api/runs', { token, body: JSON.stringify({ library: 'lib', candidate: 'v1.1.0' }) });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const run = await call('GET', `/api/runs/${id}`);
    expect(run).toMatchObject({ status: 200, body: { id } });
    expect((await call('GET', '/api/runs?library=lib')).body).toEqual([expect.objectContaining({ id })]);
    const cellId = (run.body.cells as Array<{ id: string }>)[0].id;
    expect(await call('GET', `/api/runs/${id}/cells/${cellId}?limit=1`)).toMatchObject({ status: 200, body: { cell: { id: cellId }, page: { offset: 0, limit: 1 } } });
    expect(await call('GET', `/api/runs/${id}/cells/nope`)).toEqual({ status: 404, body: { error: `no cell "nope" in run "${id}"` } });
  });

  it('refuses a baseline that is neither a git ref nor a published version, naming the field', async () => {
    const bad = await call('POST', '/api/runs', { token, body: JSON.stringify({ library: 'lib', candidate: 'v1.1.0', baseline: 'npm:lib' }) });
    expect(bad).toMatchObject({ status: 400, body: { error: 'body.baseline: "npm:lib" names no version: write npm:NAME@VERSION, e.g. npm:knex@0.95.15' } });
    const unknown = await call('POST', '/api/runs', { token, body: JSON.stringify({ library: 'lib', candidate: 'v1.1.0', baseline: 'npm:lib@9.9.9' }) });
    expect(unknown).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^baseline: npm publishes no version 9\.9\.9 of lib/), field: 'baseline' } });
  });

  it('answers 400 for a bad query and 404 for a route or run it does not have, OPTIONS included', async () => {
    expect(await call('GET', '/api/runs?limit=0')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^query\.limit: /) } });
    expect(await call('POST', '/api/runs/nope/cancel', { token })).toEqual({ status: 404, body: { error: 'no run "nope"' } });
    expect(await call('OPTIONS', '/api/runs')).toEqual({ status: 404, body: { error: 'no such API route' } });
    expect(await call('GET', '/api/nope')).toEqual({ status: 404, body: { error: 'no such API route' } });
    expect(await call('GET', '/api/gate?library=lib&version=v9')).toMatchObject({ status: 404, body: { error: 'no run for lib v9' } });
    expect(await call('GET', '/healthz')).toEqual({ status: 200, body: { ok: true } });
  });
});
