/**
 * GitHub App authentication (issue 18 item 7), through Octokit's own packages: a JWT signed with the
 * App's private key, an installation token per repository from it (@octokit/auth-app caches it until
 * shortly before it expires), and a fresh one when GitHub answers 401 all the same (a revoked token).
 * Check runs can only be written by an App; a plain token keeps working for commit statuses.
 */
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import type { ForgeTarget } from './types.js';

export interface GithubAppOptions {
  appId: string | number;
  /** PEM (PKCS#1 or PKCS#8), as GitHub hands it out. */
  privateKey: string;
  apiUrl: string;
  fetch?: typeof fetch;
}

/** A token for one repository's requests; `refresh` after a 401 asks for a new one. */
export interface GithubTokens {
  tokenFor(target: ForgeTarget, options?: { refresh?: boolean }): Promise<string>;
}

export function githubApp(options: GithubAppOptions): GithubTokens {
  const octokit = new Octokit({ baseUrl: options.apiUrl, request: { fetch: options.fetch ?? fetch }, log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } });
  const auth = createAppAuth({ appId: options.appId, privateKey: options.privateKey, request: octokit.request });
  // Installation ids change only when the App is reinstalled: one lookup per repository, again after a 401.
  const installations = new Map<string, number>();

  const installationOf = async (repository: string, refresh: boolean): Promise<number> => {
    const known = installations.get(repository);
    if (known !== undefined && !refresh) return known;
    const [owner, repo] = repository.split('/');
    const { token } = await auth({ type: 'app' });
    const answer = await octokit.request('GET /repos/{owner}/{repo}/installation', { owner, repo, headers: { authorization: `bearer ${token}` } });
    installations.set(repository, answer.data.id);
    return answer.data.id;
  };

  return {
    async tokenFor(target, { refresh = false } = {}) {
      const installationId = await installationOf(target.repository, refresh);
      const { token } = await auth({ type: 'installation', installationId, refresh });
      return token;
    },
  };
}
