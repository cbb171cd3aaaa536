// compat-matrix's JUnit reporter for node --test, used when the command asks for no reporter of its own.
// Ids as our other writers make them: `ENCLOSING TITLES::TEST NAME`; suites are not tests.
import { writeJUnit } from './compat-preset-node.cjs';
import { readFileSync } from 'node:fs';
import process from 'node:process';

export default async function* compatJUnit(source) {
  const { junit } = JSON.parse(readFileSync(process.env.COMPAT_PRESET_ARGS, 'utf8'));
  const stack = [];
  const cases = [];
  for await (const event of source) {
    const data = event.data ?? {};
    if (event.type === 'test:start') stack[data.nesting] = data.name;
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const details = data.details ?? {};
    // A test --test-name-pattern left out is not a skipped test: it was not asked for.
    if (details.type === 'suite' || data.skip === 'test name does not match pattern') continue;
    const base = { classname: stack.slice(0, data.nesting).join(' '), name: data.name, seconds: (details.duration_ms ?? 0) / 1000 };
    if (data.skip || data.todo) cases.push({ ...base, skipped: true });
    else if (event.type === 'test:fail') {
      const error = details.error;
      cases.push({ ...base, failure: String((error && (error.cause?.stack ?? error.stack ?? error.message)) || 'failed') });
    } else cases.push(base);
  }
  writeJUnit(junit, cases);
  yield '';
}
