import { describe, expect, it } from 'vitest';
import { MARIADB, POSTGRES, RUNNER, recipeFor, recipeHash } from './recipes.js';

describe('image recipes', () => {
  it('hash the same recipe the same way, so a present image is reused', () => {
    expect(recipeHash(RUNNER, 'bookworm')).toBe(recipeHash({ ...RUNNER }, 'bookworm'));
  });

  it('change the hash when packages, scripts, config or the suite change, so the image is rebuilt', () => {
    const base = recipeHash(POSTGRES, 'bookworm');
    expect(recipeHash({ ...POSTGRES, packages: [...POSTGRES.packages, 'postgresql-contrib'] }, 'bookworm')).not.toBe(base);
    expect(recipeHash({ ...POSTGRES, preInstall: 'true' }, 'bookworm')).not.toBe(base);
    expect(recipeHash({ ...POSTGRES, config: [...POSTGRES.config, 'ENV X=1'] }, 'bookworm')).not.toBe(base);
    expect(recipeHash(POSTGRES, 'trixie')).not.toBe(base);
    // The entrypoint file's content is part of the hash: MariaDB's and PostgreSQL's differ only there and in packages.
    expect(recipeHash({ ...MARIADB, packages: POSTGRES.packages, postInstall: undefined, config: POSTGRES.config, preInstall: POSTGRES.preInstall, name: POSTGRES.name }, 'bookworm')).not.toBe(base);
  });

  it('answer for the official names matrix.yaml may use', () => {
    expect(recipeFor('postgres:15')).toBe(POSTGRES);
    expect(recipeFor('mariadb:10.11')).toBe(MARIADB);
    expect(recipeFor('compat-runner:bookworm')).toBe(RUNNER);
    expect(recipeFor('mysql:8.0')).toBeUndefined();
  });
});
