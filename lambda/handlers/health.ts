import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorResponse, jsonResponse } from '../shared/http';
import { logger } from '../shared/powertools';

/**
 * `GET /health`: public liveness probe. Reveals nothing but `{ "status": "ok" }`: no version, no
 * dependency state, no environment (those help an attacker fingerprint the stack).
 */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  logger.appendKeys({ correlationId: event.requestContext?.requestId });
  try {
    if (event.httpMethod !== 'GET') {
      return errorResponse(event, 405, 'METHOD_NOT_ALLOWED', 'Method not allowed.');
    }
    return jsonResponse(event, 200, { status: 'ok' });
  } finally {
    logger.resetKeys();
  }
}
