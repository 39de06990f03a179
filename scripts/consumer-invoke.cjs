// Invokes every consumer handler the synth bundled (cdk.out assets, the code a deploy uploads) with a real
// API Gateway proxy event, GET and no authorizer context: a public handler answers 200, a protected one 401,
// a handler of another method 405, always the JSON envelope with the security headers, never a 500.
const fs = require('fs');
const path = require('path');

const [outDir, fixture] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
const templates = Object.values(manifest.artifacts)
  .filter((a) => a.type === 'aws:cloudformation:stack')
  .map((a) => JSON.parse(fs.readFileSync(path.join(outDir, a.properties.templateFile), 'utf8')));

async function main() {
  let invoked = 0;
  for (const template of templates) {
    for (const resource of Object.values(template.Resources)) {
      const description = resource.Properties?.Description ?? '';
      if (resource.Type !== 'AWS::Lambda::Function' || !description.startsWith('Handler ')) continue;
      const asset = resource.Metadata?.['aws:asset:path'];
      const [file, exported] = resource.Properties.Handler.split('.');
      Object.assign(process.env, resource.Properties.Environment?.Variables ?? {});
      const mod = require(path.resolve(outDir, asset, `${file}.js`));
      const event = structuredClone(JSON.parse(fs.readFileSync(fixture, 'utf8')));
      event.httpMethod = 'GET';
      event.body = null;
      event.queryStringParameters = null;
      event.multiValueQueryStringParameters = null;
      event.pathParameters = null;
      event.requestContext.authorizer = null;
      const res = await mod[exported](event, { awsRequestId: 'consumer-test', getRemainingTimeInMillis: () => 10000 });
      const body = JSON.parse(res.body);
      const ok = [200, 401, 405].includes(res.statusCode) && res.headers['Strict-Transport-Security'] !== undefined
        && (res.statusCode === 200 || typeof body.error?.code === 'string');
      const kb = (fs.statSync(path.resolve(outDir, asset, `${file}.js`)).size / 1024).toFixed(1);
      console.log(`invoked ${description.split(' ')[1]} (bundle ${kb} KB): ${res.statusCode} ${ok ? 'ok' : 'UNEXPECTED'}`);
      if (!ok) throw new Error(`unexpected answer: ${JSON.stringify(res)}`);
      invoked += 1;
    }
  }
  if (invoked === 0) throw new Error('no consumer handler found in the assembly');
}
main().catch((err) => { console.error(err); process.exit(1); });
