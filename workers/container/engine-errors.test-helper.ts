/**
 * The Docker engine's errors as dockerode (docker-modem) raises them, for unit tests: a message of the
 * form `(HTTP code 500) server error - MESSAGE `, the status on `statusCode`, the body on `json`.
 */
const REASONS: Record<number, string> = { 404: 'no such container', 500: 'server error' };

export function engineAnswer(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${REASONS[statusCode] ?? 'unexpected'} - ${message} `), {
    reason: REASONS[statusCode],
    statusCode,
    json: { message },
  });
}

/** What Debian's engine 20.10 answered after a real restart, for a container whose overlay mount it lost. */
export function engineRefusal(id: string): Error {
  return engineAnswer(
    500,
    `container ${id}: driver "overlay2" failed to remove root filesystem: unlinkat /var/lib/docker/overlay2/${id}/merged: device or resource busy`,
  );
}

/** The engine away (restarting): nothing answered. */
export function engineAway(): Error {
  return Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
}
