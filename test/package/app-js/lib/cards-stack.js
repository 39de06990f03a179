const path = require('path');
const { Stack } = require('aws-cdk-lib');
const { ApiIdentity, SecureRestApi } = require('@secure-api/cdk');
const { CardParams, FreezeCardBody } = require('../lambda/schemas');

/** @type {import('@secure-api/cdk').RouteTable} */
const routes = [
  { method: 'GET', path: '/cards/status', handler: 'card-status', sensitivity: 'low',
    auth: { public: true, reason: 'Uptime probe for the status page' } },
  { method: 'POST', path: '/cards/{cardId}/freeze', handler: 'freeze-card', sensitivity: 'high',
    auth: { scopes: ['cards/write'] }, params: CardParams, body: FreezeCardBody },
];

class CardsStack extends Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const identity = new ApiIdentity(this, 'Identity', {
      routes,
      domainPrefix: 'cards-consumer-auth',
      publicClient: { callbackUrls: ['https://cards.example.org/callback'] },
    });
    new SecureRestApi(this, 'CardsApi', {
      routes,
      authorizer: identity.authorizer,
      allowedOrigins: ['https://cards.example.org'],
      handlersDir: path.join(__dirname, '..', 'lambda'),
      alarms: { alarmEmail: 'oncall@cards.example.org' },
    });
  }
}

module.exports = { CardsStack };
