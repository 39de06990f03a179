import { createRequire } from 'node:module';

/** The `oidc-provider` module namespace (its default export is the `Provider` class). */
export type OidcProviderModule = typeof import('oidc-provider');

/**
 * Loads `oidc-provider`, which ships as ES modules only, from this CommonJS code base.
 *
 * Node's `require` loads ES modules synchronously since Node 20.19 / 22.12 (`require(esm)`), which
 * needs no `import()` (TypeScript with `module: commonjs` would rewrite that to `require()` anyway,
 * and `new Function('s', 'return import(s)')` fails under jest: no dynamic-import callback in its vm).
 * Jest's own module registry cannot load ES modules at all, which is why the issuer runs in a worker
 * thread (index.ts): there this is plain Node, under jest, tsx and compiled JavaScript alike.
 */
export function loadOidcProvider(): OidcProviderModule {
  const nodeRequire = createRequire(__filename);
  try {
    return nodeRequire('oidc-provider') as OidcProviderModule;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_REQUIRE_ESM') {
      throw new Error(
        `The local issuer needs Node.js >= 20.19 or >= 22.12 (require of ES modules); this is ${process.version}.`,
        { cause: err },
      );
    }
    throw err;
  }
}
