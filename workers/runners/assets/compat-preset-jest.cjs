'use strict';
// compat-matrix's jest reporter: JUnit to $COMPAT_PRESET_ARGS' `junit` path, ids `DESCRIBE TITLES::TEST`
// as mocha's, so one escaping serves both.
const fs = require('node:fs');
const path = require('node:path');
const { writeJUnit } = require('./compat-preset-node.cjs');

class CompatJUnit {
  onRunComplete(_contexts, results) {
    const args = JSON.parse(fs.readFileSync(process.env.COMPAT_PRESET_ARGS, 'utf8'));
    const cases = [];
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        const base = { classname: t.ancestorTitles.join(' '), name: t.title, seconds: (t.duration || 0) / 1000 };
        if (t.status === 'failed') cases.push({ ...base, failure: t.failureMessages.join('\n') || 'failed' });
        else if (t.status === 'passed') cases.push(base);
        else cases.push({ ...base, skipped: true });
      }
      if (file.testExecError) cases.push({ classname: path.relative(process.cwd(), file.testFilePath), name: 'test file', seconds: 0, failure: String(file.testExecError.message) });
    }
    writeJUnit(args.junit, cases);
  }
}

module.exports = CompatJUnit;
