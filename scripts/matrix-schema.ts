/**
 * Writes matrix.schema.json from the zod schema, so editors complete and check matrix.yaml
 * (`# yaml-language-server: $schema=./matrix.schema.json` at its top). `--check` fails when stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../common/config.js';
import { matrixJsonSchema } from '../common/matrix/json-schema.js';

const file = path.join(REPO_ROOT, 'matrix.schema.json');
const text = `${JSON.stringify(matrixJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    console.error('matrix.schema.json is stale: run npm run schema');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  console.error(`wrote ${file}`);
}
