'use strict';
// compat-matrix's preset for Node test runners, loaded into every node process of the test container by
// NODE_OPTIONS=--require. It does nothing unless this process is the runner named in $COMPAT_PRESET_ARGS:
// then it selects the tests (mocha: on the Mocha instance; jest, vitest: arguments added to the runner's
// own argv; node --test: the same command started again with them) and, when the command asks for no
// JUnit, writes it to the results folder. The arguments come from a JSON file: never through a shell.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const APPLIED = 'COMPAT_PRESET_APPLIED';

const MAINS = {
  mocha: /[\\/]mocha[\\/](?:bin[\\/]_?mocha(?:\.js)?|lib[\\/]cli[\\/]cli\.js)$/,
  jest: /[\\/](?:jest-cli|jest)[\\/]bin[\\/]jest\.js$/,
  vitest: /[\\/]vitest[\\/]vitest\.mjs$/,
};

function realpath(file) {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function xmlEscape(text) {
  // XML 1.0 has no way to write most control characters: they are dropped.
  return String(text)
    // eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot hold
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function hasXml(dir) {
  try {
    return fs.readdirSync(dir).some((name) => name.endsWith('.xml'));
  } catch {
    return false;
  }
}

/** cases: [{classname, name, seconds, failure?, skipped?}] */
function writeJUnit(file, cases) {
  const body = cases
    .map((c) => {
      const head = `<testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="${(c.seconds || 0).toFixed(3)}"`;
      if (c.failure !== undefined) return `${head}><failure message="${xmlEscape(c.failure.split('\n')[0])}">${xmlEscape(c.failure)}</failure></testcase>`;
      if (c.skipped) return `${head}><skipped/></testcase>`;
      return `${head}/>`;
    })
    .join('\n');
  const failures = cases.filter((c) => c.failure !== undefined).length;
  fs.writeFileSync(file, `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="compat-preset" tests="${cases.length}" failures="${failures}">\n${body}\n</testsuite></testsuites>\n`);
}

function patchMocha(main, args) {
  const Mocha = require(require.resolve('mocha', { paths: [path.dirname(main)] }));
  // Files are dropped before they are loaded (a file not loaded defines no tests), sync or ESM.
  const keep = args.files ? new Set(args.files.map((f) => path.resolve(f))) : null;
  for (const method of ['loadFiles', 'loadFilesAsync']) {
    const load = Mocha.prototype[method];
    if (typeof load !== 'function') continue;
    Mocha.prototype[method] = function (...rest) {
      if (keep) this.files = this.files.filter((f) => keep.has(path.resolve(f)));
      return load.apply(this, rest);
    };
  }
  const run = Mocha.prototype.run;
  Mocha.prototype.run = function (...rest) {
    if (args.grep) this.grep(new RegExp(args.grep));
    const runner = run.apply(this, rest);
    const cases = [];
    const add = (test, extra) => cases.push({ classname: test.parent ? test.parent.fullTitle() : '', name: test.title, seconds: (test.duration || 0) / 1000, ...extra });
    runner.on('pass', (test) => add(test, {}));
    runner.on('fail', (test, error) => add(test, { failure: String((error && (error.stack || error.message)) || 'failed') }));
    runner.on('pending', (test) => add(test, { skipped: true }));
    // After the reporter's own 'end' (it subscribed first): a reporter that wrote JUnit is left alone.
    runner.once('end', () => {
      if (!hasXml(path.dirname(args.junit))) writeJUnit(args.junit, cases);
    });
    return runner;
  };
}

function hasFlag(argv, names) {
  return argv.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)));
}

(function main() {
  if (process.env[APPLIED] || !process.env.COMPAT_PRESET_ARGS) return;
  let args;
  try {
    args = JSON.parse(fs.readFileSync(process.env.COMPAT_PRESET_ARGS, 'utf8'));
  } catch {
    return;
  }
  if (args.runner === 'node-test') {
    // node --test reads its options before any preload runs, and --test-name-pattern is refused in
    // NODE_OPTIONS: the runner is started again with them. Its file children are not (NODE_TEST_CONTEXT).
    if (!process.execArgv.includes('--test') || process.env.NODE_TEST_CONTEXT) return;
    const env = { ...process.env, [APPLIED]: '1' };
    const junit = hasFlag(process.execArgv, ['--test-reporter'])
      ? []
      : ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${path.join(__dirname, 'compat-preset-node-reporter.mjs')}`, '--test-reporter-destination=/dev/null'];
    const result = spawnSync(process.execPath, [...process.execArgv, ...junit, ...args.append, ...process.argv.slice(1)], { stdio: 'inherit', env });
    process.exit(result.status ?? 1);
  }
  const main = process.argv[1] ? realpath(process.argv[1]) : '';
  if (!MAINS[args.runner] || !MAINS[args.runner].test(main)) return;
  if (args.runner === 'mocha') return patchMocha(main, args);
  // jest and vitest: their workers are node processes too, and must not add the arguments again.
  process.env[APPLIED] = '1';
  const argv = process.argv.slice(2);
  const append = [...args.append];
  if (args.runner === 'jest' && !hasFlag(argv, ['--reporters'])) append.push('--reporters=default', `--reporters=${path.join(__dirname, 'compat-preset-jest.cjs')}`);
  if (args.runner === 'vitest' && !hasFlag(argv, ['--reporter'])) append.push('--reporter=default', '--reporter=junit', `--outputFile.junit=${args.junit}`);
  process.argv.push(...append);
})();

module.exports = { writeJUnit, xmlEscape };
