import { describe, expect, it } from 'vitest';
import { templateEnv, templateEnvFrom } from './env.js';

describe('consumer env templates', () => {
  it('fills variables, unknown ones empty', () => {
    expect(templateEnv({ A: 'x-${COMPAT_BACKEND}', B: '${NOPE}' }, { COMPAT_BACKEND: 'mysql' })).toEqual({ A: 'x-mysql', B: '' });
  });

  it('keeps, for a shared step, only entries whose variables it has', () => {
    const templates = { PLAIN: 'on', BACKEND: '${COMPAT_BACKEND}', LIB: '${COMPAT_LIBRARY}@${COMPAT_LIBRARY_VERSION}' };
    expect(templateEnvFrom(templates, {})).toEqual({ PLAIN: 'on' });
    expect(templateEnvFrom(templates, { COMPAT_LIBRARY: 'q', COMPAT_LIBRARY_VERSION: '1.0.0' })).toEqual({ PLAIN: 'on', LIB: 'q@1.0.0' });
  });
});
