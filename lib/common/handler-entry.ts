/* eslint-disable security/detect-non-literal-fs-filename -- synth-time lookup in the consumer's own handlersDir */
import * as fs from 'fs';
import * as path from 'path';

/**
 * Entry file extensions `handlersDir` accepts, by precedence tier. TypeScript sources come first:
 * `tsc` without `outDir` leaves a compiled `<name>.js` beside `<name>.ts`, and the source is what
 * esbuild should bundle. Two files of one tier (`x.ts` and `x.mts`, `x.js` and `x.cjs`) are two
 * different handlers under one name, which the library refuses to guess between.
 */
export const HANDLER_ENTRY_TIERS: readonly (readonly string[])[] = Object.freeze([
  Object.freeze(['.ts', '.mts']),
  Object.freeze(['.js', '.mjs', '.cjs']),
]);

/** Every extension `handlersDir` accepts, in search order. */
export const HANDLER_ENTRY_EXTENSIONS: readonly string[] = Object.freeze(HANDLER_ENTRY_TIERS.flat());

/** Outcome of looking up a handler's entry file. */
export type HandlerEntryLookup =
  | { readonly kind: 'found'; readonly entry: string }
  | { readonly kind: 'missing'; readonly searched: readonly string[] }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] };

/** Finds `<dir>/<name>.{ts,mts,js,mjs,cjs}`: the first tier holding a file wins; two in that tier are ambiguous. */
export function findHandlerEntry(dir: string, name: string): HandlerEntryLookup {
  for (const tier of HANDLER_ENTRY_TIERS) {
    const existing = tier.map((ext) => path.join(dir, `${name}${ext}`)).filter((file) => fs.existsSync(file) && fs.statSync(file).isFile());
    if (existing.length === 1) return { kind: 'found', entry: existing[0] as string };
    if (existing.length > 1) return { kind: 'ambiguous', candidates: existing };
  }
  return { kind: 'missing', searched: HANDLER_ENTRY_EXTENSIONS.map((ext) => `${name}${ext}`) };
}
