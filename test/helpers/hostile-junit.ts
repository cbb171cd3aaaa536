/** Issue 16 item 5's file: suites with 900-character names (under main's old 1,000-character id cut, so every id is distinct there), 100k cases, one in three failing (about 4 MB). */
export function hostileJUnit(cases = 100_000, suites = 100): string {
  const perSuite = Math.ceil(cases / suites);
  const out: string[] = ['<?xml version="1.0"?><testsuites>'];
  for (let s = 0; s < suites; s++) {
    out.push(`<testsuite name="${String(s).padStart(4, '0')}${'S'.repeat(896)}">`);
    for (let i = 0; i < perSuite && s * perSuite + i < cases; i++) {
      const n = s * perSuite + i;
      out.push(n % 3 === 0 ? `<testcase name="t${n}"><failure message="x"/></testcase>` : `<testcase name="t${n}"/>`);
    }
    out.push('</testsuite>');
  }
  out.push('</testsuites>');
  return out.join('');
}
