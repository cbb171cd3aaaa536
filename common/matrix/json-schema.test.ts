import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../config.js';
import { matrixJsonSchema } from './json-schema.js';

describe('matrix.schema.json', () => {
  it('is the zod schema, current', () => {
    const committed = JSON.parse(readFileSync(path.join(REPO_ROOT, 'matrix.schema.json'), 'utf8'));
    expect(committed).toEqual(matrixJsonSchema());
  });

  it('describes consumers strictly, so editors flag unknown fields', () => {
    const schema = matrixJsonSchema() as any;
    const library = schema.properties.libraries.items;
    const consumer = library.properties.consumers.items;
    expect(consumer.additionalProperties).toBe(false);
    expect(consumer.required).toEqual(expect.arrayContaining(['name', 'repo', 'ref', 'image', 'installCandidate', 'backends']));
    // `test` is required unless the consumer has `schema:` (issue 19: the schema is then the evidence).
    expect(consumer.anyOf).toEqual([{ required: ['test'] }, { required: ['schema'] }]);
    expect(Object.keys(consumer.properties.schema.properties).sort()).toEqual(['downgrade', 'ignore', 'migrate', 'onChange', 'sql']);
    expect(consumer.properties.backends.items.enum).toEqual(['sqlite', 'mysql', 'postgres']);
  });

  it("carries the contract's fields for real libraries: registry, Dockerfile images, workdir, password-less superusers", () => {
    const text = JSON.stringify(matrixJsonSchema());
    const schema = matrixJsonSchema() as any;
    const library = schema.properties.libraries.items;
    const consumer = library.properties.consumers.items;
    expect(JSON.stringify(library.properties.registry)).toContain('"npm"');
    expect(JSON.stringify(library.properties.registry)).toContain('"pypi"');
    for (const image of [consumer.properties.image, library.properties.build.properties.image]) {
      expect(JSON.stringify(image)).toContain('"dockerfile"');
      expect(JSON.stringify(image)).toContain('"context"');
    }
    expect(consumer.properties.workdir.type).toBe('string');
    const fixed = consumer.properties.fixedConnection.properties.postgres;
    expect(JSON.stringify(fixed)).toContain('"superuser"');
    expect(text).not.toMatch(/"required":\[[^\]]*"password"/);
  });
});
