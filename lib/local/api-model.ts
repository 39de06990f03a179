import { LocalRunError, resourcesOfType, str } from './assembly';
import { IntrinsicResolver, randomString } from './intrinsics';

/** A request parameter a method declares (`method.request.<location>.<name>`). */
export interface MethodParameter {
  readonly location: 'header' | 'querystring' | 'path' | 'multivalueheader' | 'multivaluequerystring';
  readonly name: string;
  readonly required: boolean;
}

/** A method's integration, as the template configures it. */
export interface LocalIntegration {
  readonly type: string;
  /** Logical id of the Lambda function behind an AWS_PROXY / AWS integration. */
  readonly functionLogicalId?: string;
  /** Integration timeout (ms). */
  readonly timeoutMs: number;
  readonly requestTemplates: Record<string, string>;
  readonly integrationResponses: readonly IntegrationResponse[];
}

/** One integration response (MOCK and non-proxy integrations). */
export interface IntegrationResponse {
  readonly statusCode: string;
  readonly selectionPattern?: string;
  readonly responseParameters: Record<string, string>;
  readonly responseTemplates: Record<string, string>;
}

/** A Lambda authorizer. */
export interface LocalAuthorizer {
  readonly logicalId: string;
  readonly id: string;
  readonly name: string;
  readonly type: 'REQUEST' | 'TOKEN' | 'COGNITO_USER_POOLS';
  readonly functionLogicalId?: string;
  /** Identity sources (`method.request.header.Authorization`, ...). */
  readonly identitySource: readonly string[];
  /** Result cache TTL (s); 0 disables the cache. */
  readonly ttlSeconds: number;
  readonly identityValidationExpression?: string;
}

/** A method of a resource. */
export interface LocalMethod {
  readonly logicalId: string;
  readonly httpMethod: string;
  /** Resource path template, e.g. `/payments/{paymentId}`. */
  readonly resourcePath: string;
  readonly resourceId: string;
  readonly authorizationType: string;
  readonly authorizer?: LocalAuthorizer;
  readonly apiKeyRequired: boolean;
  readonly parameters: readonly MethodParameter[];
  /** JSON schema by content type. */
  readonly requestModels: Record<string, Record<string, unknown>>;
  readonly validateBody: boolean;
  readonly validateParameters: boolean;
  readonly integration: LocalIntegration;
  readonly operationName?: string;
}

/** A node of the resource tree. */
export interface LocalResource {
  readonly id: string;
  readonly pathPart: string;
  readonly path: string;
  readonly children: LocalResource[];
  readonly methods: Map<string, LocalMethod>;
}

/** A stage's method setting (throttle) for `resourcePath` + `httpMethod` (`/*` and `*` for the stage default). */
export interface MethodSetting {
  readonly resourcePath: string;
  readonly httpMethod: string;
  readonly rateLimit?: number;
  readonly burstLimit?: number;
}

/** A deployed stage. */
export interface LocalStage {
  readonly logicalId: string;
  readonly name: string;
  readonly accessLogFormat?: string;
  readonly methodSettings: readonly MethodSetting[];
  readonly variables: Record<string, string>;
}

/** A gateway response as the template customizes it. */
export interface GatewayResponseConfig {
  readonly statusCode?: number;
  readonly headers: Record<string, string>;
  readonly templates: Record<string, string>;
}

/** A throttle of a usage plan (or one of its per-method throttles). */
export interface ThrottleSetting {
  readonly rateLimit?: number;
  readonly burstLimit?: number;
}

/** A usage plan. */
export interface LocalUsagePlan {
  readonly logicalId: string;
  readonly id: string;
  readonly name: string;
  readonly stages: readonly { apiId: string; stage: string; methodThrottles: Record<string, ThrottleSetting> }[];
  readonly throttle?: ThrottleSetting;
  readonly quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number };
}

/** An API key. */
export interface LocalApiKey {
  readonly logicalId: string;
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly enabled: boolean;
  readonly planIds: readonly string[];
}

/** Everything the local gateway learns about one REST API from the template. */
export interface LocalApi {
  readonly logicalId: string;
  readonly id: string;
  readonly name: string;
  readonly apiKeySource: 'HEADER' | 'AUTHORIZER';
  readonly root: LocalResource;
  readonly stages: readonly LocalStage[];
  readonly gatewayResponses: Map<string, GatewayResponseConfig>;
  readonly usagePlans: readonly LocalUsagePlan[];
  readonly apiKeys: readonly LocalApiKey[];
  readonly authorizers: readonly LocalAuthorizer[];
}

/** API Gateway's integration timeout when the template sets none (29 s). */
const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

/** The Lambda function an integration or authorizer URI points at (by the function ARN inside the URI). */
function functionOfUri(resolver: IntrinsicResolver, uri: unknown, functionsByArn: Map<string, string>): string | undefined {
  if (uri === undefined) return undefined;
  const text = resolver.resolveString(uri);
  const arn = /arn:[^:]+:lambda:[^:]+:[^:]+:function:[^/:]+/.exec(text)?.[0];
  if (!arn) return undefined;
  return functionsByArn.get(arn) ?? functionsByArn.get(arn.replace(/:[^:]+$/, ''));
}

/** Reads every REST API of the template (usually one). */
export function readApis(resolver: IntrinsicResolver): LocalApi[] {
  const { template } = resolver;
  const live = (type: string): [string, Record<string, unknown>][] =>
    resourcesOfType(template, type).filter(([id]) => resolver.exists(id)).map(([id]) => [id, resolver.properties(id)]);
  const functionsByArn = new Map(live('AWS::Lambda::Function').map(([id]) => [resolver.getAtt(id, 'Arn'), id]));

  return live('AWS::ApiGateway::RestApi').map(([apiLogicalId, apiProps]) => {
    const apiId = resolver.ref(apiLogicalId);
    const forApi = (type: string): [string, Record<string, unknown>][] => live(type).filter(([, p]) => p.RestApiId === apiId);

    const authorizers: LocalAuthorizer[] = forApi('AWS::ApiGateway::Authorizer').map(([id, p]) => {
      const type = str(p.Type, 'TOKEN') as LocalAuthorizer['type'];
      const fn = functionOfUri(resolver, p.AuthorizerUri, functionsByArn);
      return {
        logicalId: id,
        id: resolver.ref(id),
        name: str(p.Name, id),
        type,
        ...(fn ? { functionLogicalId: fn } : {}),
        identitySource: str(p.IdentitySource, type === 'TOKEN' ? 'method.request.header.Authorization' : '').split(',').map((s) => s.trim()).filter(Boolean),
        ttlSeconds: Number(p.AuthorizerResultTtlInSeconds ?? 300),
        ...(typeof p.IdentityValidationExpression === 'string' ? { identityValidationExpression: p.IdentityValidationExpression } : {}),
      };
    });
    const validators = new Map(forApi('AWS::ApiGateway::RequestValidator').map(([id, p]) => [resolver.ref(id), p]));
    const models = new Map(forApi('AWS::ApiGateway::Model').map(([id, p]) => [resolver.ref(id), p]));

    const rootId = resolver.getAtt(apiLogicalId, 'RootResourceId');
    const root: LocalResource = { id: rootId, pathPart: '', path: '/', children: [], methods: new Map() };
    const byId = new Map<string, LocalResource>([[rootId, root]]);
    const resources = forApi('AWS::ApiGateway::Resource').map(([id, p]) => ({ id: resolver.ref(id), parentId: String(p.ParentId), pathPart: String(p.PathPart) }));
    // Parents may come after children in the template: attach until nothing changes.
    let remaining = resources;
    while (remaining.length > 0) {
      const next = remaining.filter((r) => {
        const parent = byId.get(r.parentId);
        if (!parent) return true;
        const node: LocalResource = { id: r.id, pathPart: r.pathPart, path: `${parent.path === '/' ? '' : parent.path}/${r.pathPart}`, children: [], methods: new Map() };
        parent.children.push(node);
        byId.set(r.id, node);
        return false;
      });
      if (next.length === remaining.length) throw new LocalRunError(`resources with unknown parents: ${next.map((r) => r.pathPart).join(', ')}`);
      remaining = next;
    }

    for (const [id, p] of forApi('AWS::ApiGateway::Method')) {
      const resource = byId.get(String(p.ResourceId));
      if (!resource) throw new LocalRunError(`method ${id} is on an unknown resource`);
      const integration = (p.Integration ?? {}) as Record<string, unknown>;
      const validator = typeof p.RequestValidatorId === 'string' ? validators.get(p.RequestValidatorId) : undefined;
      const authorizer = typeof p.AuthorizerId === 'string' ? authorizers.find((a) => a.id === p.AuthorizerId) : undefined;
      const requestModels: Record<string, Record<string, unknown>> = {};
      for (const [contentType, modelName] of Object.entries((p.RequestModels ?? {}) as Record<string, string>)) {
        const model = models.get(modelName);
        if (model?.Schema !== undefined) {
          requestModels[contentType.toLowerCase()] = (typeof model.Schema === 'string' ? JSON.parse(model.Schema) : model.Schema) as Record<string, unknown>;
        }
      }
      const fn = functionOfUri(resolver, integration.Uri, functionsByArn);
      const method: LocalMethod = {
        logicalId: id,
        httpMethod: String(p.HttpMethod).toUpperCase(),
        resourcePath: resource.path,
        resourceId: resource.id,
        authorizationType: str(p.AuthorizationType, 'NONE'),
        ...(authorizer ? { authorizer } : {}),
        apiKeyRequired: p.ApiKeyRequired === true || p.ApiKeyRequired === 'true',
        parameters: Object.entries((p.RequestParameters ?? {}) as Record<string, unknown>).flatMap(([key, required]) => {
          const m = /^method\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)$/.exec(key);
          return m ? [{ location: m[1] as MethodParameter['location'], name: m[2] ?? '', required: required === true || required === 'true' }] : [];
        }),
        requestModels,
        validateBody: validator?.ValidateRequestBody === true || validator?.ValidateRequestBody === 'true',
        validateParameters: validator?.ValidateRequestParameters === true || validator?.ValidateRequestParameters === 'true',
        integration: {
          type: str(integration.Type, 'MOCK'),
          ...(fn ? { functionLogicalId: fn } : {}),
          timeoutMs: Number(integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS),
          requestTemplates: (integration.RequestTemplates ?? {}) as Record<string, string>,
          integrationResponses: ((integration.IntegrationResponses ?? []) as Record<string, unknown>[]).map((r) => ({
            statusCode: String(r.StatusCode),
            ...(typeof r.SelectionPattern === 'string' ? { selectionPattern: r.SelectionPattern } : {}),
            responseParameters: (r.ResponseParameters ?? {}) as Record<string, string>,
            responseTemplates: (r.ResponseTemplates ?? {}) as Record<string, string>,
          })),
        },
        ...(typeof p.OperationName === 'string' ? { operationName: p.OperationName } : {}),
      };
      resource.methods.set(method.httpMethod, method);
    }

    const stages: LocalStage[] = forApi('AWS::ApiGateway::Stage').map(([id, p]) => ({
      logicalId: id,
      name: String(p.StageName),
      ...(typeof (p.AccessLogSetting as { Format?: unknown } | undefined)?.Format === 'string'
        ? { accessLogFormat: (p.AccessLogSetting as { Format: string }).Format } : {}),
      methodSettings: ((p.MethodSettings ?? []) as Record<string, unknown>[]).map((m) => ({
        resourcePath: str(m.ResourcePath, '/*'),
        httpMethod: str(m.HttpMethod, '*'),
        ...(m.ThrottlingRateLimit !== undefined ? { rateLimit: Number(m.ThrottlingRateLimit) } : {}),
        ...(m.ThrottlingBurstLimit !== undefined ? { burstLimit: Number(m.ThrottlingBurstLimit) } : {}),
      })),
      variables: (p.Variables ?? {}) as Record<string, string>,
    }));
    // `RestApi.deployOptions` in CDK writes a Stage; an API deployed only through a Deployment's StageName is read too.
    for (const [id, p] of forApi('AWS::ApiGateway::Deployment')) {
      if (typeof p.StageName === 'string' && !stages.some((s) => s.name === p.StageName)) {
        stages.push({ logicalId: id, name: p.StageName, methodSettings: [], variables: {} });
      }
    }
    if (stages.length === 0) throw new LocalRunError(`REST API ${apiLogicalId} has no stage`);

    const gatewayResponses = new Map<string, GatewayResponseConfig>();
    for (const [, p] of forApi('AWS::ApiGateway::GatewayResponse')) {
      gatewayResponses.set(String(p.ResponseType), {
        ...(p.StatusCode !== undefined ? { statusCode: Number(p.StatusCode) } : {}),
        headers: (p.ResponseParameters ?? {}) as Record<string, string>,
        templates: (p.ResponseTemplates ?? {}) as Record<string, string>,
      });
    }

    const stageNames = new Map(stages.map((s) => [resolver.ref(s.logicalId), s.name]));
    const throttleOf = (t: unknown): ThrottleSetting | undefined => {
      if (t === undefined || t === null) return undefined;
      const o = t as { RateLimit?: unknown; BurstLimit?: unknown };
      return { ...(o.RateLimit !== undefined ? { rateLimit: Number(o.RateLimit) } : {}), ...(o.BurstLimit !== undefined ? { burstLimit: Number(o.BurstLimit) } : {}) };
    };
    const usagePlans: LocalUsagePlan[] = live('AWS::ApiGateway::UsagePlan').flatMap(([id, p]) => {
      const planStages = ((p.ApiStages ?? []) as Record<string, unknown>[])
        .filter((s) => s.ApiId === apiId)
        .map((s) => ({
          apiId,
          stage: stageNames.get(String(s.Stage)) ?? String(s.Stage),
          methodThrottles: Object.fromEntries(Object.entries((s.Throttle ?? {}) as Record<string, unknown>).map(([k, v]) => [k, throttleOf(v) ?? {}])),
        }));
      if (planStages.length === 0) return [];
      const quota = p.Quota as { Limit?: unknown; Period?: unknown; Offset?: unknown } | undefined;
      const throttle = throttleOf(p.Throttle);
      return [{
        logicalId: id,
        id: resolver.ref(id),
        name: str(p.UsagePlanName, id),
        stages: planStages,
        ...(throttle ? { throttle } : {}),
        ...(quota?.Limit !== undefined ? { quota: { limit: Number(quota.Limit), period: str(quota.Period, 'DAY') as 'DAY', offset: Number(quota.Offset ?? 0) } } : {}),
      }];
    });
    const planIds = new Set(usagePlans.map((u) => u.id));
    const keyPlans = new Map<string, string[]>();
    for (const [, p] of live('AWS::ApiGateway::UsagePlanKey')) {
      if (!planIds.has(String(p.UsagePlanId))) continue;
      keyPlans.set(String(p.KeyId), [...(keyPlans.get(String(p.KeyId)) ?? []), String(p.UsagePlanId)]);
    }
    const apiKeys: LocalApiKey[] = live('AWS::ApiGateway::ApiKey').flatMap(([id, p]) => {
      const keyId = resolver.ref(id);
      const plans = keyPlans.get(keyId) ?? [];
      // StageKeys (legacy) tie a key to the stage without a plan; keys outside this API's plans are left out.
      if (plans.length === 0) return [];
      return [{
        logicalId: id,
        id: keyId,
        name: str(p.Name, id),
        // A key without `Value` gets a generated value from API Gateway: generated here per run.
        value: typeof p.Value === 'string' ? p.Value : randomString(40),
        enabled: p.Enabled !== false && p.Enabled !== 'false',
        planIds: plans,
      }];
    });

    return {
      logicalId: apiLogicalId,
      id: apiId,
      name: str(apiProps.Name, apiLogicalId),
      apiKeySource: apiProps.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
      root,
      stages,
      gatewayResponses,
      usagePlans,
      apiKeys,
      authorizers,
    };
  });
}
