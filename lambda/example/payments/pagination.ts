import type { ListPaymentsInput } from '../schemas/payments';
import { decodeCursor, encodeCursor, type CursorKey } from '../../runtime/cursor';
import type { PaymentsDeps } from './payments-deps';
import type { PaymentPageResult, PaymentView } from './payments-store';

/** Page size when the client does not ask. */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * One page of a listing with signed cursors: verifies the incoming cursor for this `scope`
 * (current or previous signing key), fetches, and signs the next cursor with the current key.
 */
export async function signedPage(deps: PaymentsDeps, scope: string, query: ListPaymentsInput,
  fetch: (limit: number, startKey?: CursorKey) => Promise<PaymentPageResult>): Promise<{ items: PaymentView[]; nextCursor?: string }> {
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const startKey = query.cursor !== undefined
    ? decodeCursor(query.cursor, scope, await deps.secrets.acceptedValues(deps.cursorSecretId), nowSeconds)
    : undefined;
  const page = await fetch(query.limit ?? DEFAULT_PAGE_SIZE, startKey);
  if (!page.lastKey) return { items: page.items };
  const { current } = await deps.secrets.versions(deps.cursorSecretId);
  return { items: page.items, nextCursor: encodeCursor(scope, page.lastKey, current, nowSeconds) };
}
