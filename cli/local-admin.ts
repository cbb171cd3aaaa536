/**
 * The one CLI module that opens the server's store directly: API token management (`compat tokens`).
 * Everything else the CLI does goes through the HTTP API. Tokens cannot: creating the first one over
 * HTTP would need a token already, and tokens have no scopes, so an endpoint that mints them would let
 * any token holder mint more. Whoever can write the data directory administers tokens, as whoever can
 * read local-admin.token there acts as the local admin. The store is SQLite in WAL mode, so these few
 * row writes land beside a running server.
 */
import type { Config } from '../common/config.js';
import type { Tokens } from '../server/auth/tokens.js';

/** The token registry of the store in `config.dataDir`; closes the store when `fn` is done. */
export async function withLocalTokens<T>(config: Config, fn: (tokens: Tokens) => T): Promise<T> {
  // Loaded on demand: only these commands need the native SQLite module.
  const { Store } = await import('../server/store/store.js');
  const { Tokens } = await import('../server/auth/tokens.js');
  const store = new Store(Store.fileIn(config.dataDir));
  try {
    return fn(new Tokens(store));
  } finally {
    store.close();
  }
}
