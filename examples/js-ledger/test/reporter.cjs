// Mocha takes one reporter: this one prints the usual spec output and writes JUnit XML (to $MOCHA_FILE)
// from the same run. Test cases are named "<suite path>::<test title>" in the XML.
'use strict';
const Mocha = require('mocha');
const JUnitReporter = require('mocha-junit-reporter');

class SpecAndJUnit extends Mocha.reporters.Spec {
  constructor(runner, options = {}) {
    super(runner, options);
    const reporterOptions = { jenkinsMode: true, includePending: true, ...(options.reporterOptions ?? options.reporterOption) };
    this.junit = new JUnitReporter(runner, { ...options, reporterOptions });
  }
}

module.exports = SpecAndJUnit;
