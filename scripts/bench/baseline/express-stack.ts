import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type Joi from 'joi';
import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import serverless from 'serverless-http';
import winston from 'winston';
import { CreatePaymentJoi } from '../probes/joi-payments';

/**
 * The baseline the issue compares against: the Express-style stack the seeds describe (express +
 * helmet + express-rate-limit + jsonwebtoken/jwks-rsa + Joi + winston), run in Lambda through
 * serverless-http, bundled by the bench exactly like our functions. It answers POST /payments:
 * verify the RS256 bearer token, validate the body with Joi, 201 or 400.
 *
 * Offline, jwks-rsa gets the bench JWKS from `BENCH_JWKS` through its `getKeysInterceptor` hook:
 * the baseline never pays for a JWKS download either.
 */
const issuer = process.env.BENCH_ISSUER ?? '';
const logger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- winston's own typings
  transports: [new winston.transports.Console()],
});
const jwks = jwksRsa({
  jwksUri: `${issuer}/.well-known/jwks.json`,
  cache: true,
  rateLimit: true,
  getKeysInterceptor: () => Promise.resolve((JSON.parse(process.env.BENCH_JWKS ?? '{"keys":[]}') as { keys: jwksRsa.JSONWebKey[] }).keys),
});

async function authenticate(req: Request, res: Response, next: NextFunction): Promise<void> {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  if (!match?.[1]) { res.status(401).json({ error: { code: 'UNAUTHORIZED' } }); return; }
  try {
    const decoded = jwt.decode(match[1], { complete: true });
    const key = await jwks.getSigningKey(decoded?.header.kid);
    res.locals.claims = jwt.verify(match[1], key.getPublicKey(), { algorithms: ['RS256'], issuer });
    next();
  } catch (err) {
    logger.warn('token rejected', { reason: (err as Error).name });
    res.status(401).json({ error: { code: 'UNAUTHORIZED' } });
  }
}

const app = express();
app.set('trust proxy', 1);
app.use(helmet());
app.use(rateLimit({ windowMs: 60_000, limit: 100, standardHeaders: 'draft-8', legacyHeaders: false }));
app.use(express.json({ limit: '16kb' }));
app.use((req, res, next) => { void authenticate(req, res, next); });
app.post('/payments', (req, res) => {
  const result: Joi.ValidationResult<unknown> = CreatePaymentJoi.validate(req.body);
  const { error } = result;
  if (error) {
    logger.info('request rejected', { status: 400 });
    res.status(400).json({ error: { code: 'VALIDATION_FAILED', details: error.details.map((d) => ({ path: d.path.join('.'), message: d.message })) } });
    return;
  }
  res.status(201).json(result.value);
});

/** Lambda entry point. */
export const handler = serverless(app);
