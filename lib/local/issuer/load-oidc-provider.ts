import { createRequire } from 'node:module';

/** The `oidc-provider` module namespace (its default export is the `Provider` class). */
export type OidcProviderModule = typeof import('oidc-provider');

/**
 * Loads `oidc-provider`, which ships as ES modules only, from this CommonJS code base.
 *
 * Why `createRequire` and not `import()`: TypeScript with `module: commonjs` rewrites `import()` to
 * `require()`, and the usual escape (`new Function('s', 'return import(s)')`) fails under jest, whose
 * vm sandbox has no dynamic-import callback (`ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING`). Node's own
 * `require` (from `createRequire`, which jest does not intercept) loads ES modules synchronously
 * since Node 20.19 / 22.12 (`require(esm)`), so one code path works under ts-jest, tsx and compiled JS.
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
