/** Zod schemas of the API (pure `zod/mini`, no CDK): imported by handlers and by `lib/`. */
export * from '../../runtime/schemas';
export * from './payments';
