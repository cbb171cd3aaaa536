/** Commands run inside a running container (a database server's client, its readiness check). */
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { ContainerEngine } from '../../common/docker/engine.js';

/** Runs a command in a running container (argv only) and returns its exit code and output. */
export async function execIn(
  engine: ContainerEngine,
  containerId: string,
  cmd: string[],
  env: string[] = [],
  timeoutMs = 60_000,
): Promise<{ exitCode: number; output: string }> {
  const docker = engine as Docker;
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`command timed out after ${timeoutMs} ms: ${cmd[0]}`)), timeoutMs);
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('close', () => (clearTimeout(timer), resolve()));
    stream.on('error', (e: Error) => (clearTimeout(timer), reject(e)));
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
}
