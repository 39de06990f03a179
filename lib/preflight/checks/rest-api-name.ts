import { resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/**
 * REST API metrics, and the alarms and dashboards built on them, are keyed by `ApiName`: two APIs with the
 * same name in one account and region share their metrics. A literal name must at least carry something
 * unique to the stack.
 */
export const restApiName: PreflightCheck = {
  id: 'rest-api-name',
  description: 'A REST API name is unique to its stack (the ApiName metric dimension merges APIs of the same name in a region).',
  run: ({ template, stackName }) => resourcesOfType(template, 'AWS::ApiGateway::RestApi').flatMap(([id, api]): PreflightFinding[] => {
    const name = api.Properties?.Name;
    if (typeof name !== 'string' || stackName === undefined) return [];
    if (name.toLowerCase().includes(stackName.toLowerCase())) return [];
    return [{
      check: 'rest-api-name', level: 'warning', logicalId: id, prop: 'restApiName',
      message: `REST API ${id} is named "${name}", which does not carry the stack name ${stackName}: its ApiName metrics, alarms and dashboard merge with any other API of that name in the region. Leave \`restApiName\` unset (SecureRestApi derives one from the construct path) or include the stack name.`,
    }];
  }),
};
