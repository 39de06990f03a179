import { DRAFT4_STRING_FORMATS } from '../../defaults/api-models';
import { resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

function formats(node: unknown, path: string, found: string[]): string[] {
  if (Array.isArray(node)) node.forEach((n, i) => formats(n, `${path}[${i}]`, found));
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'format' && typeof value === 'string' && !DRAFT4_STRING_FORMATS.includes(value)) found.push(`${path || '/'}: ${value}`);
      // A property named "format" is a schema, not the keyword.
      if (key === 'properties' && value !== null && typeof value === 'object') {
        for (const [name, schema] of Object.entries(value as Record<string, unknown>)) formats(schema, `${path}/${name}`, found);
      } else if (typeof value === 'object') formats(value, path, found);
    }
  }
  return found;
}

/**
 * API Gateway validates request models as JSON Schema draft 4: a `format` draft 4 does not define
 * (`date`, `uuid`, `time`, ...) makes valid bodies fail validation (400) at run time.
 */
export const modelSchemaFormats: PreflightCheck = {
  id: 'model-schema-formats',
  description: 'Request models use only the string formats JSON Schema draft 4 defines (API Gateway refuses valid bodies on others, e.g. date, uuid).',
  run: ({ template }) => resourcesOfType(template, 'AWS::ApiGateway::Model').flatMap(([id, model]): PreflightFinding[] => {
    const found = formats(model.Properties?.Schema, '', []);
    return found.length === 0 ? [] : [{
      check: 'model-schema-formats', level: 'error', logicalId: id, prop: 'routes[].body',
      message: `model ${id} uses formats JSON Schema draft 4 does not define (${found.join(', ')}): API Gateway would reject valid bodies. Express the shape with a pattern (SecureRestApi strips them from the models it derives).`,
    }];
  }),
};
