import { resourcesOfType } from '../template';
import { PreflightCheck, PreflightFinding } from '../types';

/** Threat protection (advanced security) needs the PLUS feature plan; CreateUserPool refuses it on LITE/ESSENTIALS. */
export const cognitoThreatProtectionTier: PreflightCheck = {
  id: 'cognito-threat-protection-tier',
  description: 'A user pool with threat protection (AdvancedSecurityMode AUDIT or ENFORCED) is on the PLUS feature plan.',
  run: ({ template }) => resourcesOfType(template, 'AWS::Cognito::UserPool').flatMap(([id, pool]): PreflightFinding[] => {
    const mode = (pool.Properties?.UserPoolAddOns as { AdvancedSecurityMode?: string } | undefined)?.AdvancedSecurityMode;
    if (mode === undefined || mode === 'OFF' || pool.Properties?.UserPoolTier === 'PLUS') return [];
    return [{
      check: 'cognito-threat-protection-tier', level: 'error', logicalId: id, prop: 'threatProtection',
      message: `user pool ${id} turns threat protection on (AdvancedSecurityMode ${mode}) on the ${JSON.stringify(pool.Properties?.UserPoolTier ?? 'ESSENTIALS')} plan: Cognito requires the PLUS feature plan. Set featurePlan PLUS (ApiIdentity does unless threatProtection is OFF).`,
    }];
  }),
};

/** Cognito refuses refresh-token rotation on a client that allows ALLOW_REFRESH_TOKEN_AUTH (also a default when ExplicitAuthFlows is unset). */
export const cognitoRefreshRotation: PreflightCheck = {
  id: 'cognito-refresh-rotation',
  description: 'An app client with refresh-token rotation lists its auth flows explicitly, without ALLOW_REFRESH_TOKEN_AUTH.',
  run: ({ template }) => resourcesOfType(template, 'AWS::Cognito::UserPoolClient').flatMap(([id, client]): PreflightFinding[] => {
    const rotation = client.Properties?.RefreshTokenRotation as { Feature?: string } | undefined;
    if (rotation?.Feature !== 'ENABLED') return [];
    const flows = client.Properties?.ExplicitAuthFlows as string[] | undefined;
    if (flows !== undefined && !flows.includes('ALLOW_REFRESH_TOKEN_AUTH')) return [];
    return [{
      check: 'cognito-refresh-rotation', level: 'error', logicalId: id, prop: 'publicClient.authFlows',
      message: `app client ${id} rotates refresh tokens but ${flows === undefined ? 'sets no ExplicitAuthFlows, so Cognito enables its defaults including' : 'lists'} ALLOW_REFRESH_TOKEN_AUTH: Cognito refuses the client. List the flows explicitly without it (ApiIdentity uses authFlows: { userSrp: true }).`,
    }];
  }),
};
