/** matrix.yaml's JSON Schema, generated from the zod schema so the two never disagree. */
import { z } from 'zod';
import { Matrix } from './schema.js';

export function matrixJsonSchema(): Record<string, unknown> {
  // The cross-field checks (duplicate names) are zod refinements; JSON Schema keeps the shapes.
  const schema = z.toJSONSchema(Matrix, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  // `test:` or `schema:` (a refinement in zod): said to editors as JSON Schema says it.
  const consumer = (schema as { properties?: { libraries?: { items?: { properties?: { consumers?: { items?: Record<string, unknown> } } } } } }).properties?.libraries?.items?.properties?.consumers?.items;
  if (consumer) consumer.anyOf = [{ required: ['test'] }, { required: ['schema'] }];
  return {
    $id: 'https://compat-matrix.local/matrix.schema.json',
    title: 'compat-matrix matrix.yaml',
    description: 'Libraries, the downstream consumers whose suites gate their releases, and how to run them.',
    ...schema,
  };
}
