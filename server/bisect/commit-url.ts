/** A commit's web page, when the library's repository is on GitHub or GitLab (github.com, gitlab.com or a host named gitlab.*). */
import { normalizeRepo } from '../webhooks/repo-match.js';

export function commitUrl(repo: string, sha: string): string | undefined {
  const key = normalizeRepo(repo);
  if (!key || key.startsWith('/')) return undefined;
  const host = key.slice(0, key.indexOf('/'));
  const project = key.slice(host.length + 1);
  if (!project.includes('/')) return undefined;
  if (host === 'github.com') return `https://github.com/${project}/commit/${sha}`;
  if (host === 'gitlab.com' || host.startsWith('gitlab.')) return `https://${host}/${project}/-/commit/${sha}`;
  return undefined;
}
