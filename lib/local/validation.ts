import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';

/**
 * The formats JSON Schema draft 4 defines. API Gateway validates models as draft 4: these formats are
 * checked, any other `format` value (`date`, `uuid`, ...) is ignored rather than rejected, which is
 * why a model must carry a `pattern` for what such a format would have promised.
 */
/* eslint-disable security/detect-unsafe-regex -- fixed patterns, anchored, applied to one JSON string value at a time */
const DRAFT4_FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  email: /^[^\s@]+@[^\s@]+$/,
  hostname: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/,
  ipv6: (s) => /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':') && isIpv6(s),
  uri: (s) => { try { return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && new URL(s).href.length > 0; } catch { return false; } },
};
/* eslint-enable security/detect-unsafe-regex */

function isIpv6(s: string): boolean {
  try {
    return new URL(`http://[${s}]/`).hostname.length > 0;
  } catch {
    return false;
  }
}

/** A compiled draft-4 validator per model schema. */
export class ModelValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor() {
    // strict: false — API Gateway ignores keywords and formats it does not know instead of failing.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, logger: false });
    for (const [name, format] of Object.entries(DRAFT4_FORMATS)) this.ajv.addFormat(name, format);
  }

  /** Validates `data` against `schema`; the errors are summarized as API Gateway's message list is. */
  validate(schema: Record<string, unknown>, data: unknown): { valid: true } | { valid: false; message: string } {
    let fn = this.compiled.get(schema);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(schema, fn);
    }
    if (fn(data)) return { valid: true };
    return { valid: false, message: `[${(fn.errors ?? []).map(describe).join(', ')}]` };
  }
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'instance' : `instance ${JSON.stringify(e.instancePath)}`;
  return `${where} ${e.message ?? 'is invalid'}`;
}
