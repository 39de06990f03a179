import { Aws, Fn, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { RESERVED_DOMAIN_WORDS } from '../defaults/identity';

/** Longest Cognito prefix domain (a DNS label). */
export const COGNITO_DOMAIN_PREFIX_MAX_LENGTH = 63;

/**
 * Eight hex characters that differ on every creation of the stack: the first group of the UUID in
 * `AWS::StackId` (`arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`), resolved by
 * CloudFormation. Names of resources that outlive the stack (RETAIN) carry it, so deleting the stack and
 * deploying it again creates new names instead of failing with "already exists".
 */
export function stackCreationSuffix(): string {
  return Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
}

/**
 * The default Cognito prefix domain of a stack: `<stack name>-<account id>`, lower-cased, with the words
 * Cognito refuses (`aws`, `amazon`, `cognito`) and every character other than a letter, digit or hyphen
 * taken out. Prefix domains are unique per region across every AWS account, so a constant collides
 * with the first deployer; a stack name is unique within its account and region, and the account id
 * makes it unique across accounts. It stays the same when the stack is deleted and deployed again, so
 * the hosted sign-in URL the apps know does not change. The account is a CloudFormation reference in an
 * environment-agnostic stack (always 12 digits, so the length is known at synth).
 */
export function defaultCognitoDomainPrefix(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const account = Token.isUnresolved(stack.account) ? Aws.ACCOUNT_ID : stack.account;
  const room = COGNITO_DOMAIN_PREFIX_MAX_LENGTH - 13; // '-' + 12-digit account id
  const base = sanitizeDomainLabel(Token.isUnresolved(stack.stackName) ? 'api' : stack.stackName).slice(0, room).replace(/-+$/, '');
  return `${base || 'api'}-${account}`;
}

/**
 * Lower case, letters/digits/hyphens only, no `aws`/`amazon`/`cognito` (removed repeatedly, so that
 * removing one cannot form another), no leading, trailing or repeated hyphens.
 */
export function sanitizeDomainLabel(name: string): string {
  let label = name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  let previous: string;
  do {
    previous = label;
    for (const word of RESERVED_DOMAIN_WORDS) label = label.split(word).join('');
  } while (label !== previous);
  return label.replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
}
