/* eslint-disable security/detect-non-literal-fs-filename -- reads the cloud assembly the user points the runner at */
import * as fs from 'fs';
import * as path from 'path';

/** One resource of a CloudFormation template, as `cdk synth` writes it. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
}

/** The parts of a synthesized template the local runner reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
}

/** A stack artifact of a cloud assembly. */
export interface StackArtifact {
  /** Artifact id (also the stack's display name for top-level stacks). */
  readonly id: string;
  /** CloudFormation stack name. */
  readonly stackName: string;
  /** The template. */
  readonly template: CfnTemplate;
  /** Directory holding the template and the asset folders it references. */
  readonly directory: string;
  /** Region of the stack's environment, when the app pinned one. */
  readonly region?: string;
  /** Account of the stack's environment, when the app pinned one. */
  readonly account?: string;
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: { templateFile?: string; stackName?: string; directoryName?: string };
}

/** Thrown when the assembly cannot be run locally; the message says what to fix. */
export class LocalRunError extends Error {
  override readonly name = 'LocalRunError';
}

/**
 * Reads every CloudFormation stack of a cloud assembly (`cdk.out`), including the stacks of nested
 * assemblies (CDK stages). Only JSON is read: the runner never loads aws-cdk-lib at run time.
 */
export function readAssembly(directory: string): StackArtifact[] {
  const manifestFile = path.join(directory, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new LocalRunError(`${manifestFile} does not exist: synthesize the app first (npx cdk synth)`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  const stacks: StackArtifact[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
      const account = env?.[1];
      const region = env?.[2];
      stacks.push({
        id,
        stackName: artifact.properties.stackName ?? artifact.displayName ?? id,
        template: JSON.parse(fs.readFileSync(path.join(directory, artifact.properties.templateFile), 'utf8')) as CfnTemplate,
        directory,
        ...(account && !account.startsWith('unknown') ? { account } : {}),
        ...(region && !region.startsWith('unknown') ? { region } : {}),
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(path.join(directory, artifact.properties.directoryName)));
    }
  }
  return stacks;
}

/**
 * The stack to run: the one named `name` (artifact id, display name or stack name), else the only
 * stack that defines a REST API.
 */
export function selectStack(stacks: readonly StackArtifact[], name?: string): StackArtifact {
  if (name !== undefined) {
    const found = stacks.find((s) => s.id === name || s.stackName === name);
    if (!found) throw new LocalRunError(`no stack "${name}" in the assembly (stacks: ${stacks.map((s) => s.id).join(', ') || 'none'})`);
    return found;
  }
  const withApi = stacks.filter((s) => Object.values(s.template.Resources).some((r) => r.Type === 'AWS::ApiGateway::RestApi'));
  if (withApi.length === 1 && withApi[0]) return withApi[0];
  if (withApi.length === 0) throw new LocalRunError('no stack in the assembly defines an AWS::ApiGateway::RestApi');
  throw new LocalRunError(`several stacks define a REST API (${withApi.map((s) => s.id).join(', ')}): choose one with --stack`);
}

/** Resources of `type`, as `[logicalId, resource]` pairs in template order (conditions already applied by the caller). */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** A template value as a string (`fallback` when it is absent or not a scalar). */
export function str(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}
