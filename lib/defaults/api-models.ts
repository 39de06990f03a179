/**
 * String formats JSON Schema draft 4 defines. API Gateway validates request models as draft 4 and knows
 * none of the later ones (`date`, `time`, `uuid`, `duration`, ...): a body with a valid
 * `requestedExecutionDate` would be refused for `format: date`.
 */
export const DRAFT4_STRING_FORMATS: readonly string[] = Object.freeze(['date-time', 'email', 'hostname', 'ipv4', 'ipv6', 'uri']);
