const { apiHandler } = require('@secure-api/cdk/runtime');
const { CardParams, FreezeCardBody } = require('./schemas');

/** `POST /cards/{cardId}/freeze`: freezes one of the caller's cards. */
exports.handler = apiHandler({ methods: ['POST'], authenticated: true, params: CardParams, body: FreezeCardBody }, async (req) => ({
  statusCode: 202,
  body: { cardId: req.params.cardId, frozen: true, reason: req.body.reason },
}));
