import { resourcesOfType } from '../template';
import { PreflightCheck } from '../types';

/** Concurrent executions Lambda always keeps unreserved for functions without a reservation. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/**
 * Lambda refuses a reservation that leaves fewer than 100 executions unreserved ("decreases account's
 * UnreservedConcurrentExecution below its minimum value"). New accounts often have a quota of 10-50, where
 * no reservation at all is possible.
 */
export const reservedConcurrency: PreflightCheck = {
  id: 'reserved-concurrency',
  description: 'The sum of reserved concurrency in the stack leaves the 100 unreserved executions Lambda requires under the declared account quota.',
  run: ({ template, options }) => {
    const reserved = resourcesOfType(template, 'AWS::Lambda::Function')
      .map(([id, fn]) => [id, fn.Properties?.ReservedConcurrentExecutions] as const)
      .filter((e): e is readonly [string, number] => typeof e[1] === 'number');
    const total = reserved.reduce((n, [, r]) => n + r, 0);
    if (total === 0) return [];
    const limit = options.accountConcurrencyLimit;
    if (limit === undefined) {
      return [{
        check: 'reserved-concurrency', level: 'warning', prop: 'accountConcurrencyLimit',
        message: `${reserved.length} functions reserve ${total} concurrent executions, but the account's concurrency quota is not declared: Lambda refuses reservations that leave fewer than ${LAMBDA_UNRESERVED_MINIMUM} unreserved (new accounts often have 10-50). Declare it (preflight \`accountConcurrencyLimit\`, or context secure-api:accountConcurrencyLimit; the example reads financialApi:accountConcurrencyLimit) to have it checked.`,
      }];
    }
    const available = Math.max(0, limit - LAMBDA_UNRESERVED_MINIMUM);
    if (total <= available) return [];
    return [{
      check: 'reserved-concurrency', level: 'error', prop: 'reservedConcurrentExecutions',
      message: `${reserved.length} functions reserve ${total} concurrent executions; with an account quota of ${limit}, at most ${available} can be reserved (Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved), and less if other stacks of the account reserve some. Lower the reservations by ${total - available} (or stop reserving: leave reservedConcurrentExecutions unset), or raise the quota to at least ${total + LAMBDA_UNRESERVED_MINIMUM} in Service Quotas (Lambda, "Concurrent executions") and declare the new value.`,
    }];
  },
};
