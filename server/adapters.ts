/** The real server ports (server/ports.ts), wired by server/server.ts. */
import { Mirror } from '../common/git/mirror.js';
import { DEFAULT_REGISTRY_URLS, publishedFiles, type RegistryUrls } from '../common/registry/published.js';
import type { ForgeClient, GitRepositories, PackageRegistry } from './ports.js';

/** Mirrors kept under the data directory (common/git/mirror.ts). */
export function mirrorRepositories(dataDir: string): GitRepositories {
  return { open: (repo) => Mirror.for(dataDir, repo) };
}

/** npm and PyPI over HTTP. */
export function httpRegistry(urls: RegistryUrls = DEFAULT_REGISTRY_URLS): PackageRegistry {
  return { publishedFiles: (ref) => publishedFiles(ref, urls) };
}

/** GitHub and GitLab over fetch. */
export function fetchForge(fetchFn: typeof fetch = (input, init) => fetch(input, init)): ForgeClient {
  return {
    async post(request, signal) {
      const res = await fetchFn(request.url, {
        method: 'POST',
        headers: request.headers,
        body: JSON.stringify(request.body),
        signal,
      });
      return { status: res.status, headers: res.headers, body: await res.text() };
    },
    async send(request, signal) {
      const res = await fetchFn(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body ? { body: JSON.stringify(request.body) } : {}),
        signal,
      });
      return { status: res.status, headers: res.headers, body: await res.text() };
    },
  };
}
