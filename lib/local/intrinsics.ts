import { createHash, randomBytes } from 'crypto';
import { CfnResource, CfnTemplate, LocalRunError, str } from './assembly';

/** The pseudo parameters of the local "deployment". */
export interface LocalEnvironment {
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  readonly partition: string;
  readonly urlSuffix: string;
}

/** Answers a `{{resolve:secretsmanager:...}}` dynamic reference (the text between the braces, after `resolve:secretsmanager:`). */
export type DynamicReferenceResolver = (reference: string) => string;

/** What `Ref` and `Fn::GetAtt` of one resource return locally. */
interface Physical {
  readonly ref: string;
  readonly attrs: Record<string, string>;
}

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A deterministic id from `seed` (so ids such as API ids, pool ids and client ids stay the same from
 * one local run to the next, and a browser tab or a script keeps working across restarts).
 */
export function stableId(seed: string, length: number, alphabet = LOWER_ALNUM): string {
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; out.length < length; i++) {
    const byte = digest[i % digest.length] ?? 0;
    out += alphabet[(byte + Math.floor(i / digest.length) * 7) % alphabet.length] ?? 'a';
  }
  return out;
}

/** A random string of `length` characters from `alphabet` (secrets: never deterministic). */
export function randomString(length: number, alphabet = MIXED_ALNUM): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  for (let i = 0; out.length < length; i++) {
    const byte = i < bytes.length ? (bytes[i] ?? 0) : (randomBytes(1)[0] ?? 0);
    if (byte < limit) out += alphabet[byte % alphabet.length] ?? '';
  }
  return out;
}

/**
 * Resolves CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`,
 * `Fn::Split`, `Fn::If` and the condition functions, `Fn::Base64`, pseudo parameters) against local
 * physical names: what CloudFormation would have created, named the way CloudFormation names them
 * (table `Stack-LogicalId-RANDOM`, secret ARN with its 6-character suffix, pool id `region_XXXXXXXXX`).
 */
export class IntrinsicResolver {
  private readonly physical = new Map<string, Physical>();
  private dynamicResolver: DynamicReferenceResolver | undefined;

  constructor(readonly template: CfnTemplate, readonly env: LocalEnvironment) {}

  /** Sets the resolver of `{{resolve:secretsmanager:...}}` references (the local Secrets Manager). */
  setDynamicReferenceResolver(resolver: DynamicReferenceResolver): void {
    this.dynamicResolver = resolver;
  }

  /** Whether the resource exists after its `Condition` is applied. */
  exists(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    if (!resource) return false;
    return resource.Condition === undefined || this.condition(resource.Condition);
  }

  /** The resolved properties of a resource (`{}` when it has none). */
  properties(logicalId: string): Record<string, unknown> {
    const resource = this.resource(logicalId);
    return (this.resolve(resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
  }

  /** `Ref` of a logical id or pseudo parameter. */
  ref(name: string): string {
    switch (name) {
      case 'AWS::Region': return this.env.region;
      case 'AWS::AccountId': return this.env.account;
      case 'AWS::Partition': return this.env.partition;
      case 'AWS::URLSuffix': return this.env.urlSuffix;
      case 'AWS::StackName': return this.env.stackName;
      case 'AWS::StackId': return `arn:${this.env.partition}:cloudformation:${this.env.region}:${this.env.account}:stack/${this.env.stackName}/${stableId(this.env.stackName, 8)}-local`;
      case 'AWS::NoValue': return '';
      default:
        break;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) return str(parameter.Default);
    return this.physicalOf(name).ref;
  }

  /** `Fn::GetAtt` of a resource attribute. */
  getAtt(logicalId: string, attribute: string): string {
    const physical = this.physicalOf(logicalId);
    const value = physical.attrs[attribute];
    if (value !== undefined) return value;
    if (attribute === 'Arn') return this.genericArn(logicalId, this.resource(logicalId), physical.ref);
    return `${physical.ref}.${attribute}`;
  }

  /** Resolves every intrinsic in `value`; `AWS::NoValue` removes the property or list item. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (typeof value === 'string') return this.dynamic(value);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1 && entries[0]) {
      const [key, arg] = entries[0];
      if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
        // A dynamic reference is often assembled by Fn::Join (`{{resolve:secretsmanager:` + Ref + `...}}`).
        const value = this.intrinsic(key, arg);
        return typeof value === 'string' ? this.dynamic(value) : value;
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolve(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  /** Resolves `value` and requires a string. */
  resolveString(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new LocalRunError(`expected a string, got ${JSON.stringify(resolved)}`);
  }

  private intrinsic(key: string, arg: unknown): unknown {
    switch (key) {
      case 'Ref':
        return arg === 'AWS::NoValue' ? NO_VALUE : this.ref(String(arg));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
        return this.getAtt(logicalId ?? '', attribute ?? '');
      }
      case 'Fn::Join': {
        const [sep, items] = arg as [string, unknown[]];
        return (this.resolve(items) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = this.resolve(list) as unknown[];
        return items[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, unknown];
        return this.resolveString(source).split(sep);
      }
      case 'Fn::Sub':
        return this.sub(arg);
      case 'Fn::Base64':
        return Buffer.from(this.resolveString(arg), 'utf8').toString('base64');
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals':
      case 'Fn::Not':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Condition':
        return this.evaluate({ [key]: arg });
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${this.env.region}${z}`);
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolve(arg));
      default:
        throw new LocalRunError(`${key} is not supported by the local runner`);
    }
  }

  private sub(arg: unknown): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    const local = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, this.resolveString(v)]));
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_m, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (local[name] !== undefined) return local[name];
      const dot = name.indexOf('.');
      return dot > 0 && !name.startsWith('AWS::') ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name);
    });
  }

  private condition(name: string): boolean {
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new LocalRunError(`unknown condition ${name}`);
    return this.evaluate(definition);
  }

  private evaluate(expression: unknown): boolean {
    const [key, arg] = Object.entries(expression as Record<string, unknown>)[0] ?? [];
    const list = (): unknown[] => (Array.isArray(arg) ? arg : [arg]);
    switch (key) {
      case 'Fn::Equals': {
        const [a, b] = list().map((v) => JSON.stringify(this.resolve(v)));
        return a === b;
      }
      case 'Fn::Not': return !this.evaluate(list()[0]);
      case 'Fn::And': return list().every((c) => this.evaluate(c));
      case 'Fn::Or': return list().some((c) => this.evaluate(c));
      case 'Condition': return this.condition(String(arg));
      default: throw new LocalRunError(`unsupported condition expression ${JSON.stringify(expression)}`);
    }
  }

  private dynamic(text: string): string {
    if (!text.includes('{{resolve:')) return text;
    return text.replace(/\{\{resolve:([a-z-]+):([^}]+)\}\}/g, (_m, service: string, reference: string) => {
      if (service !== 'secretsmanager') throw new LocalRunError(`dynamic reference {{resolve:${service}:...}} is not supported locally (only secretsmanager)`);
      if (!this.dynamicResolver) throw new LocalRunError('a Secrets Manager dynamic reference was read before the local Secrets Manager started');
      return this.dynamicResolver(reference);
    });
  }

  private resource(logicalId: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new LocalRunError(`the template refers to ${logicalId}, which it does not define`);
    return resource;
  }

  private physicalOf(logicalId: string): Physical {
    let physical = this.physical.get(logicalId);
    if (!physical) {
      physical = this.name(logicalId, this.resource(logicalId));
      this.physical.set(logicalId, physical);
    }
    return physical;
  }

  private prop(resource: CfnResource, name: string): string | undefined {
    const value = resource.Properties?.[name];
    return value === undefined ? undefined : this.resolveString(value);
  }

  /** Names a resource as CloudFormation would (generated names: `Stack-LogicalId-SUFFIX`). */
  private name(logicalId: string, resource: CfnResource): Physical {
    const { region, account, partition, stackName } = this.env;
    const seed = `${stackName}/${logicalId}`;
    const generated = (max: number): string => `${stackName}-${logicalId}`.slice(0, max - 13) + `-${stableId(seed, 12, UPPER_ALNUM)}`;
    switch (resource.Type) {
      case 'AWS::ApiGateway::RestApi': {
        const id = stableId(seed, 10);
        return { ref: id, attrs: { RestApiId: id, RootResourceId: stableId(`${seed}/root`, 10) } };
      }
      case 'AWS::ApiGateway::Stage':
        return { ref: this.prop(resource, 'StageName') ?? stableId(seed, 6), attrs: {} };
      case 'AWS::ApiGateway::ApiKey':
      case 'AWS::ApiGateway::UsagePlan':
      case 'AWS::ApiGateway::Resource':
      case 'AWS::ApiGateway::Authorizer':
      case 'AWS::ApiGateway::RequestValidator':
      case 'AWS::ApiGateway::Deployment': {
        const id = stableId(seed, resource.Type === 'AWS::ApiGateway::ApiKey' ? 10 : 6);
        return { ref: id, attrs: { APIKeyId: id, Id: id, AuthorizerId: id, RequestValidatorId: id, ResourceId: id, DeploymentId: id } };
      }
      case 'AWS::ApiGateway::Model':
        return { ref: this.prop(resource, 'Name') ?? logicalId.replace(/[^A-Za-z0-9]/g, ''), attrs: {} };
      case 'AWS::Lambda::Function': {
        const name = this.prop(resource, 'FunctionName') ?? generated(64);
        return { ref: name, attrs: { Arn: `arn:${partition}:lambda:${region}:${account}:function:${name}` } };
      }
      case 'AWS::DynamoDB::Table': {
        const name = this.prop(resource, 'TableName') ?? generated(255);
        const arn = `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
        return { ref: name, attrs: { Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` } };
      }
      case 'AWS::SecretsManager::Secret': {
        const name = this.prop(resource, 'Name') ?? `${logicalId}-${stableId(seed, 12, MIXED_ALNUM)}`;
        const arn = `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-${stableId(`${seed}/suffix`, 6, MIXED_ALNUM)}`;
        return { ref: arn, attrs: { Id: arn } };
      }
      case 'AWS::Cognito::UserPool': {
        const id = `${region}_${stableId(seed, 9, MIXED_ALNUM)}`;
        return {
          ref: id,
          attrs: {
            Arn: `arn:${partition}:cognito-idp:${region}:${account}:userpool/${id}`,
            ProviderName: `cognito-idp.${region}.amazonaws.com/${id}`,
            ProviderURL: `https://cognito-idp.${region}.amazonaws.com/${id}`,
            UserPoolId: id,
          },
        };
      }
      case 'AWS::Cognito::UserPoolClient': {
        const id = stableId(seed, 26);
        return { ref: id, attrs: { ClientId: id, Name: this.prop(resource, 'ClientName') ?? logicalId } };
      }
      case 'AWS::Cognito::UserPoolResourceServer':
        return { ref: this.prop(resource, 'Identifier') ?? logicalId, attrs: {} };
      case 'AWS::Cognito::UserPoolGroup':
        return { ref: this.prop(resource, 'GroupName') ?? logicalId, attrs: {} };
      case 'AWS::Cognito::UserPoolDomain':
        return { ref: this.prop(resource, 'Domain') ?? logicalId, attrs: { CloudFrontDistribution: 'local.cloudfront.net' } };
      case 'AWS::KMS::Key': {
        const id = [8, 4, 4, 4, 12].map((n, i) => stableId(`${seed}/${i}`, n, '0123456789abcdef')).join('-');
        return { ref: id, attrs: { Arn: `arn:${partition}:kms:${region}:${account}:key/${id}`, KeyId: id } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = this.prop(resource, 'LogGroupName') ?? generated(512);
        return { ref: name, attrs: { Arn: `arn:${partition}:logs:${region}:${account}:log-group:${name}:*` } };
      }
      case 'AWS::IAM::Role': {
        const name = this.prop(resource, 'RoleName') ?? generated(64);
        return { ref: name, attrs: { Arn: `arn:${partition}:iam::${account}:role/${name}`, RoleId: stableId(seed, 21).toUpperCase() } };
      }
      case 'AWS::SNS::Topic': {
        const name = this.prop(resource, 'TopicName') ?? generated(256);
        const arn = `arn:${partition}:sns:${region}:${account}:${name}`;
        return { ref: arn, attrs: { TopicArn: arn, TopicName: name } };
      }
      case 'AWS::WAFv2::WebACL': {
        const id = stableId(seed, 36);
        return { ref: `${logicalId}|${id}|REGIONAL`, attrs: { Arn: `arn:${partition}:wafv2:${region}:${account}:regional/webacl/${logicalId}/${id}`, Id: id } };
      }
      default:
        return { ref: generated(128), attrs: {} };
    }
  }

  private genericArn(logicalId: string, resource: CfnResource, ref: string): string {
    const service = resource.Type.split('::')[1]?.toLowerCase() ?? 'local';
    return ref.startsWith('arn:') ? ref : `arn:${this.env.partition}:${service}:${this.env.region}:${this.env.account}:${logicalId}/${ref}`;
  }
}

/** Marker for `Ref: AWS::NoValue`, removed from objects and lists. */
const NO_VALUE = Symbol('AWS::NoValue') as unknown as string;
