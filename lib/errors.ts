import { IConstruct } from 'constructs';

/**
 * The library's configuration error: thrown at synth when a prop is insecure or inconsistent.
 *
 * The message always names the construct path and the offending prop, so that a consumer
 * can find the line to change without reading the library's source.
 */
export class SecureApiConfigError extends Error {
  /** The prop (dotted path) that was rejected, e.g. `allowedOrigins[0]`. */
  public readonly prop: string;
  /** The construct path that rejected it. */
  public readonly constructPath: string;

  constructor(scope: IConstruct, prop: string, message: string) {
    super(`[${scope.node.path}] invalid prop \`${prop}\`: ${message}`);
    this.name = 'SecureApiConfigError';
    this.prop = prop;
    this.constructPath = scope.node.path;
  }
}

/** Throws a {@link SecureApiConfigError} unless `condition` holds. */
export function requireProp(condition: boolean, scope: IConstruct, prop: string, message: string): asserts condition {
  if (!condition) {
    throw new SecureApiConfigError(scope, prop, message);
  }
}
