const { z } = require('zod');

/** Body of `POST /cards/{cardId}/freeze`. */
exports.FreezeCardBody = z.strictObject({ reason: z.enum(['lost', 'stolen', 'travel']) });
/** Path parameters of the card routes. */
exports.CardParams = z.strictObject({ cardId: z.string().regex(/^card_[a-z0-9]{10}$/) });
