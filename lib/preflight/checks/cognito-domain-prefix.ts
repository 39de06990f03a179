import { RESERVED_DOMAIN_WORDS } from '../../defaults/identity';
import { literalText, resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/**
 * A Cognito prefix domain is a DNS label unique per region across every AWS account: lower-case letters,
 * digits and hyphens, at most 63 characters, not starting or ending with a hyphen, and without `aws`,
 * `amazon` or `cognito`. A violation fails CreateUserPoolDomain; a constant collides with whoever deployed it first.
 */
export const cognitoDomainPrefix: PreflightCheck = {
  id: 'cognito-domain-prefix',
  description: 'A Cognito prefix domain follows Cognito\'s rules (lower case, digits, hyphens, at most 63, no aws/amazon/cognito) and is not a bare constant shared by every deployer.',
  run: ({ template }) => resourcesOfType(template, 'AWS::Cognito::UserPoolDomain').flatMap(([id, domain]): PreflightFinding[] => {
    if (domain.Properties?.CustomDomainConfig !== undefined) return [];
    const value = domain.Properties?.Domain;
    const text = literalText(value);
    if (text === undefined) return [];
    const fail = (message: string): PreflightFinding[] => [{ check: 'cognito-domain-prefix', level: 'error', logicalId: id, prop: 'domainPrefix', message }];
    // Unresolved parts (`{}`) are CloudFormation values (an account id): 12 characters at most counted.
    const literal = text.replace(/\{\}/g, '');
    const length = literal.length + (text.match(/\{\}/g)?.length ?? 0) * 12;
    if (!/^[a-z0-9-]*$/.test(literal)) return fail(`prefix domain "${text}" of ${id} may hold only lower-case letters, digits and hyphens: Cognito refuses it. Leave \`domainPrefix\` unset (ApiIdentity derives <stack>-<account>) or fix it.`);
    if (length > 63 || length === 0) return fail(`prefix domain "${text}" of ${id} is ${length} characters; Cognito allows 1 to 63. Shorten \`domainPrefix\`.`);
    if (text.startsWith('-') || text.endsWith('-')) return fail(`prefix domain "${text}" of ${id} starts or ends with a hyphen, which Cognito refuses. Fix \`domainPrefix\`.`);
    const reserved = RESERVED_DOMAIN_WORDS.find((w) => literal.includes(w));
    if (reserved) return fail(`prefix domain "${text}" of ${id} contains "${reserved}", which Cognito refuses. Fix \`domainPrefix\`.`);
    return [];
  }),
};
