import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMatrix, parseMatrix, pathRulesFromEnv, MatrixError, formatProblem } from './load.js';

const valid = `version: 1
libraries:
  - name: quarry
    repo: ../repos/quarry
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:
      - name: app
        repo: https://example.org/app.git
        ref: v2.0.0
        image: compat-runner:bookworm
        installCandidate: pip install x
        test: pytest
        backends: [sqlite, mysql]
        env: { APP_DB: "\${DATABASE_URL}" }
`;

function problems(text: string): string[] {
  try {
    parseMatrix(text, 'matrix.yaml');
  } catch (error) {
    if (error instanceof MatrixError) return error.problems.map(formatProblem);
    throw error;
  }
  return [];
}

describe('matrix.yaml', () => {
  it('applies defaults and resolves relative repositories against the file', () => {
    const m = parseMatrix(valid, '/srv/conf/matrix.yaml');
    expect(m.reruns).toBe(2);
    expect(m.libraries[0].repo).toBe('/srv/repos/quarry');
    expect(m.libraries[0].tags).toBe('v{version}');
    expect(m.libraries[0].consumers[0].repo).toBe('https://example.org/app.git');
    expect(m.libraries[0].consumers[0].timeoutSeconds).toBe(600);
    expect(m.libraries[0].consumers[0].resources).toEqual({ memoryMb: 1024, cpus: 1, pids: 512, diskMb: 10240 });
  });

  it('reports every problem with its exact line and column', () => {
    const text = valid
      .replace('name: app', 'name: ../app')
      .replace('ref: v2.0.0', 'ref: "v2;reboot"')
      .replace('[sqlite, mysql]', '[sqlite, oracle]')
      .replace('test: pytest', 'test: pytest\n        colour: red')
      .replace('${DATABASE_URL}', '${HOME}');
    expect(problems(text)).toEqual([
      'matrix.yaml:7:15: libraries.0.consumers.0.name: must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit (no path separators)',
      'matrix.yaml:9:14: libraries.0.consumers.0.ref: not a valid git ref: contains a character not allowed in a git ref',
      'matrix.yaml:13:9: libraries.0.consumers.0.colour: unknown field "colour"',
      'matrix.yaml:14:28: libraries.0.consumers.0.backends.1: Invalid option: expected one of "sqlite"|"mysql"|"postgres"',
      'matrix.yaml:15:24: libraries.0.consumers.0.env.APP_DB: unknown variable ${HOME}: templates may use DATABASE_URL, COMPAT_BACKEND, COMPAT_LIBRARY, COMPAT_LIBRARY_VERSION, COMPAT_SIDE, COMPAT_RESULTS_DIR, COMPAT_ARTIFACT_DIR',
    ]);
  });

  it('names a missing required field at its parent', () => {
    expect(problems(valid.replace('        test: pytest\n', ''))).toEqual([
      'matrix.yaml:7:9: libraries.0.consumers.0.test: required field is missing',
    ]);
  });

  it('takes schema: with or without test:, and reports its problems at their positions', () => {
    const withSchema = valid.replace('        test: pytest\n', '        schema: { migrate: alembic upgrade head, ignore: [alembic_version], onChange: warn }\n');
    expect(problems(withSchema)).toEqual([]);
    expect(parseMatrix(withSchema, '/srv/matrix.yaml').libraries[0].consumers[0].schema).toEqual({ migrate: 'alembic upgrade head', ignore: ['alembic_version'], onChange: 'warn' });
    expect(problems(withSchema.replace('onChange: warn', 'onChange: stop').replace('migrate: alembic upgrade head', 'migrate: ""'))).toEqual([
      'matrix.yaml:12:28: libraries.0.consumers.0.schema.migrate: must be a non-empty command',
      'matrix.yaml:12:69: libraries.0.consumers.0.schema.onChange: Invalid option: expected one of "block"|"warn"',
    ]);
    expect(problems(withSchema.replace('onChange: warn', 'onChange: warn, colour: red'))).toEqual(['matrix.yaml:12:93: libraries.0.consumers.0.schema.colour: unknown field "colour"']);
  });

  it('refuses duplicate consumer names and wrong types', () => {
    const dup = valid + valid.split('consumers:\n')[1].replace('ref: v2.0.0', 'ref: main');
    expect(problems(dup)).toContain('matrix.yaml:15:15: libraries.0.consumers.1.name: duplicate consumer name "app" in library "quarry"');
    expect(problems(valid.replace('version: 1', 'version: "one"'))[0]).toMatch(/^matrix\.yaml:1:10: version: /);
  });

  it('takes a workdir inside the repository and refuses one that leaves it', () => {
    const withWorkdir = (dir: string) => valid.replace('test: pytest', `test: pytest\n        workdir: "${dir}"`);
    expect(parseMatrix(withWorkdir('packages/orm-tests'), 'matrix.yaml').libraries[0].consumers[0].workdir).toBe('packages/orm-tests');
    expect(problems(withWorkdir('../elsewhere'))).toEqual(['matrix.yaml:13:18: libraries.0.consumers.0.workdir: must stay inside the repository (no ".." segment)']);
    expect(problems(withWorkdir('tests/../../x'))[0]).toMatch(/workdir: must stay inside the repository/);
    expect(problems(withWorkdir('/etc'))[0]).toMatch(/workdir: must be a path relative to the repository root/);
  });

  it('takes a fixed connection without a password, as a superuser', () => {
    const text = valid.replace('test: pytest', 'test: pytest\n        fixedConnection:\n          mysql: { database: app_test, user: root_like, superuser: true }');
    expect(parseMatrix(text, 'matrix.yaml').libraries[0].consumers[0].fixedConnection?.mysql).toEqual({ database: 'app_test', user: 'root_like', superuser: true });
    expect(problems(text.replace('superuser: true', 'superuser: "yes"'))[0]).toMatch(/fixedConnection\.mysql\.superuser: /);
  });

  it('takes an image from a Dockerfile, resolved against the file, and keeps the Dockerfile inside its context', () => {
    const text = valid.replace('image: compat-runner:bookworm\n        installCandidate', 'image: { dockerfile: images/app/Dockerfile }\n        installCandidate');
    expect(parseMatrix(text, '/srv/conf/matrix.yaml').libraries[0].consumers[0].image).toEqual({ dockerfile: '/srv/conf/images/app/Dockerfile', context: '/srv/conf/images/app' });
    const build = valid.replace('build: { image: compat-runner:bookworm,', 'build: { image: { dockerfile: ci/Dockerfile, context: . },');
    expect(parseMatrix(build, '/srv/conf/matrix.yaml').libraries[0].build.image).toEqual({ dockerfile: '/srv/conf/ci/Dockerfile', context: '/srv/conf' });
    const outside = text.replace('{ dockerfile: images/app/Dockerfile }', '{ dockerfile: other/Dockerfile, context: images/app }');
    expect(problems(outside)).toEqual(['matrix.yaml:10:30: libraries.0.consumers.0.image.dockerfile: must be inside the context "images/app"']);
    expect(problems(text.replace('{ dockerfile: images/app/Dockerfile }', '"Not An Image"'))[0]).toMatch(/consumers\.0\.image: must be an image reference like "name:tag"/);
  });

  it('takes the status target from forge:, else from a github.com or gitlab.com repo, else none', () => {
    const target = (lines: string) => parseMatrix(valid.replace('    repo: ../repos/quarry\n', lines), '/srv/conf/matrix.yaml').libraries[0].statusTarget;
    expect(target('    repo: ../repos/quarry\n')).toBeNull();
    expect(target('    repo: ../repos/quarry\n    forge: { github: acme/quarry }\n')).toEqual({ forge: 'github', repository: 'acme/quarry', from: 'forge' });
    expect(target('    repo: https://github.com/acme/other.git\n    forge: { gitlab: acme/sub/quarry }\n')).toEqual({ forge: 'gitlab', repository: 'acme/sub/quarry', from: 'forge' });
    expect(target('    repo: https://github.com/Acme/Quarry.git\n')).toEqual({ forge: 'github', repository: 'Acme/Quarry', from: 'repo' });
    expect(target('    repo: git@gitlab.com:acme/sub/quarry.git\n')).toEqual({ forge: 'gitlab', repository: 'acme/sub/quarry', from: 'repo' });
    expect(target('    repo: https://git.example.org/acme/quarry.git\n')).toBeNull();
    expect(problems(valid.replace('    repo: ../repos/quarry\n', '    repo: ../repos/quarry\n    forge: { github: acme/sub/quarry }\n'))).toEqual([
      'matrix.yaml:5:22: libraries.0.forge.github: must be OWNER/REPO',
    ]);
    expect(problems(valid.replace('    repo: ../repos/quarry\n', '    repo: ../repos/quarry\n    forge: { bitbucket: acme/quarry }\n'))[0]).toContain('must be {github: OWNER/REPO} or {gitlab: GROUP/PROJECT}');
  });

  it('reports YAML syntax errors with their position', () => {
    expect(problems('version: 1\nlibraries: [\n')[0]).toMatch(/^matrix\.yaml:\d+:\d+: \(document\): /);
    expect(problems('version: 1\nversion: 2\nlibraries: []\n')[0]).toMatch(/^matrix\.yaml:2:1: .*[Dd]uplicate|unique/);
  });
});

describe('matrix.yaml: consumer secrets', () => {
  const twoConsumers = (a: string, aSecret: string, b: string, bSecret: string) => `version: 1
libraries:
  - name: lib
    repo: https://example.org/lib.git
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:
      - name: ${a}
        repo: https://example.org/a.git
        ref: v1
        image: compat-runner:bookworm
        installCandidate: "true"
        test: "true"
        backends: [sqlite]
        secretEnv: [${aSecret}]
      - name: ${b}
        repo: https://example.org/b.git
        ref: v1
        image: compat-runner:bookworm
        installCandidate: "true"
        test: "true"
        backends: [sqlite]
        secretEnv: [OTHER, ${bSecret}]
`;

  it('refuses two requests that would read the same value, at the second one', () => {
    expect(problems(twoConsumers('py-x', 'API_KEY', 'py.x', 'API_KEY'))).toEqual([
      'matrix.yaml:22:28: libraries.0.consumers.1.secretEnv.1: API_KEY of consumer "py.x" (library "lib") would read the same value as API_KEY of consumer "py-x" (library "lib", libraries.0.consumers.0): both are COMPAT_SECRET_LIB__PY_X__API_KEY; rename a consumer or a secret',
    ]);
  });

  it('takes the names that collided before the library and __ were in the key', () => {
    // COMPAT_SECRET_PY_INVENTORY_API_KEY once served both.
    expect(problems(twoConsumers('py', 'INVENTORY_API_KEY', 'py.inventory', 'API_KEY'))).toEqual([]);
  });
});

describe('matrix.yaml: local paths stay where the operator put them', () => {
  let base: string;
  beforeAll(() => {
    base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'matrix-paths-')));
    for (const dir of ['conf/ctx', 'conf/repos/app', 'repos/lib', 'elsewhere']) mkdirSync(path.join(base, dir), { recursive: true });
    writeFileSync(path.join(base, 'conf/ctx/Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(base, 'elsewhere/Dockerfile'), 'FROM scratch\n');
    // A folder inside matrix.yaml's that is a link out of it.
    symlinkSync(path.join(base, 'elsewhere'), path.join(base, 'conf/escape'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const matrixWith = (libRepo: string, image: string) => `version: 1
libraries:
  - name: lib
    repo: ${libRepo}
    build: { image: compat-runner:bookworm, command: sh build.sh }
    consumers:
      - name: app
        repo: repos/app
        ref: v1
        image: ${image}
        installCandidate: "true"
        test: "true"
        backends: [sqlite]
`;
  const check = (text: string, roots: string[] = []): string[] => {
    try {
      parseMatrix(text, path.join(base, 'conf/matrix.yaml'), { paths: { repoRoots: roots } });
    } catch (error) {
      if (error instanceof MatrixError) return error.problems.map(formatProblem).map((p) => p.replaceAll(base, 'BASE'));
      throw error;
    }
    return [];
  };

  it('takes repositories in matrix.yaml\'s folder or a root the operator lists, URLs as they are, and contexts in matrix.yaml\'s folder', () => {
    expect(check(matrixWith('https://example.org/lib.git', '{ dockerfile: ctx/Dockerfile, context: ctx }'))).toEqual([]);
    expect(check(matrixWith('../repos/lib', '{ dockerfile: ctx/Dockerfile }'), [path.join(base, 'repos')])).toEqual([]);
    expect(check(matrixWith('git@example.org:lib.git', 'compat-runner:bookworm'))).toEqual([]);
  });

  it('refuses a local repository out of the roots, with its position', () => {
    expect(check(matrixWith('../repos/lib', 'compat-runner:bookworm'))).toEqual([
      `BASE/conf/matrix.yaml:4:11: libraries.0.repo: local repository BASE/repos/lib is outside matrix.yaml's folder; list its folder in COMPAT_REPO_ROOTS, or give a URL`,
    ]);
    expect(check(matrixWith('/etc', 'compat-runner:bookworm'), [path.join(base, 'repos')])).toEqual([
      `BASE/conf/matrix.yaml:4:11: libraries.0.repo: local repository /etc is outside matrix.yaml's folder and COMPAT_REPO_ROOTS (BASE/repos); list its folder in COMPAT_REPO_ROOTS, or give a URL`,
    ]);
  });

  it('refuses a context of "..", an absolute one, a Dockerfile out of the folder, and a link out of it', () => {
    const refused = (image: string) => check(matrixWith('https://example.org/lib.git', image));
    expect(refused('{ dockerfile: ../elsewhere/Dockerfile, context: .. }')).toEqual([
      `BASE/conf/matrix.yaml:10:64: libraries.0.consumers.0.image.context: the build context BASE is outside matrix.yaml's folder BASE/conf; a context is sent whole to the build, so it must be inside it`,
    ]);
    expect(refused(`{ dockerfile: ${base}/elsewhere/Dockerfile, context: / }`)[0]).toMatch(/^BASE\/conf\/matrix.yaml:10:\d+: libraries\.0\.consumers\.0\.image\.context: the build context \/ is outside/);
    expect(refused('{ dockerfile: ../elsewhere/Dockerfile }')[0]).toMatch(/^BASE\/conf\/matrix.yaml:10:\d+: libraries\.0\.consumers\.0\.image\.dockerfile: the build context BASE\/elsewhere is outside/);
    expect(refused('{ dockerfile: escape/Dockerfile }')[0]).toMatch(/image\.dockerfile: the build context BASE\/conf\/escape is outside/);
  });

  it('loadMatrix reads the roots from COMPAT_REPO_ROOTS (colon-separated), as compat validate does', () => {
    const file = path.join(base, 'conf/matrix.yaml');
    writeFileSync(file, matrixWith('../repos/lib', 'compat-runner:bookworm'));
    expect(() => loadMatrix(file, pathRulesFromEnv({}))).toThrow(/libraries\.0\.repo: local repository .* is outside/);
    expect(loadMatrix(file, pathRulesFromEnv({ COMPAT_REPO_ROOTS: `/nonexistent:${path.join(base, 'repos')}` })).libraries[0].repo).toBe(path.join(base, 'repos/lib'));
  });
});
