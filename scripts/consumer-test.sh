#!/usr/bin/env bash
# Packaging test: the library as a consumer meets it. `npm pack`, then fresh apps in a temp folder made by
# `cdk init app` (they cannot see this repo's node_modules), each of another domain with its own handlers
# importing `@secure-api/cdk/runtime`, synthesized with the rule packs (any finding fails synth):
#   tsx      - today's `cdk init app --language typescript`: TypeScript 7 type-checks our .d.ts, tsx runs it
#   ts-node  - TypeScript 5.9 + ts-node (type-checking, CommonJS, node10 resolution of the subpath exports)
#   js       - `cdk init app --language javascript`: plain require(), .js and .mjs handlers
#   lowest   - the ts-node app on the lowest aws-cdk-lib and constructs of the peer range
# A `docker` on PATH that fails and records its call proves bundling never reaches for Docker.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/secure-api-consumer.XXXXXX")
export CDK_DISABLE_CLI_TELEMETRY=1
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
dev() { node -p "require('$ROOT/package.json').devDependencies['$1']"; }
peer() { node -p "require('$ROOT/package.json').peerDependencies['$1'].replace(/^\\^|^>=/, '')"; }
CDK_CLI=$(dev aws-cdk); CDK_LIB=$(dev aws-cdk-lib); CONSTRUCTS=$(dev constructs); ZOD=$(dev zod); ESBUILD=$(dev esbuild); NAG=$(dev cdk-nag)
LOWEST_CDK_LIB=$(peer aws-cdk-lib); LOWEST_CONSTRUCTS=$(peer constructs)

echo "==> npm pack"
(cd "$ROOT" && npm pack --pack-destination "$WORK" --silent >/dev/null)
TARBALL=$(ls "$WORK"/*.tgz)
LISTING=$(tar tzf "$TARBALL")
FILES=$(echo "$LISTING" | wc -l)
SIZE=$(du -k "$TARBALL" | cut -f1)
echo "tarball: $(basename "$TARBALL"), $FILES files, ${SIZE} KB packed"
if echo "$LISTING" | grep -E '^package/(test|scripts|reports|bin|\.ci|lib/stacks|lambda/example|cdk\.out|docs)/' ; then
  echo "FAIL: the tarball ships tests, scripts, reports, CI, the example app or docs"; exit 1
fi
for f in package/dist/functions/authorizer/index.js package/dist/functions/rotation-random-key/index.js package/LICENSE; do
  echo "$LISTING" | grep -qx "$f" || { echo "FAIL: $f missing from the tarball"; exit 1; }
done
tar xzf "$TARBALL" -C "$WORK" package/dist/functions
for f in "$WORK"/package/dist/functions/*/index.js; do echo "pre-bundled $(basename "$(dirname "$f")"): $(( $(stat -c %s "$f") / 1024 )) KB"; done

mkdir -p "$WORK/fakebin"
printf '#!/bin/sh\necho "docker $*" >> "%s/docker-calls"\nexit 1\n' "$WORK" > "$WORK/fakebin/docker"
chmod +x "$WORK/fakebin/docker"
export PATH="$WORK/fakebin:$PATH"

# new_app <dir> <language>: what `cdk init app` generates, without its sample stack and tests.
new_app() {
  mkdir -p "$WORK/$1" && cd "$WORK/$1"
  "$ROOT/node_modules/.bin/cdk" init app --language "$2" --generate-only >/dev/null 2>&1
  rm -rf bin lib test jest.config.js
  node -e "
    const fs = require('fs'); const p = JSON.parse(fs.readFileSync('package.json'));
    for (const d of ['jest', '@types/jest', '@swc/core', '@swc/jest', 'ts-jest']) delete (p.devDependencies || {})[d];
    p.scripts = { cdk: 'cdk' };
    fs.writeFileSync('package.json', JSON.stringify(p, null, 2));"
}
set_app() { node -e "const fs=require('fs');const c=JSON.parse(fs.readFileSync('cdk.json'));c.app=process.argv[1];c.notices=false;c['cli-telemetry']=false;fs.writeFileSync('cdk.json',JSON.stringify(c,null,2))" "$1"; }
install() { # install <aws-cdk-lib> <constructs> [dev packages...]
  local lib=$1 cons=$2; shift 2
  npm install --save --save-exact "$TARBALL" "aws-cdk-lib@$lib" "constructs@$cons" "zod@$ZOD" "esbuild@$ESBUILD" "cdk-nag@$NAG" >/dev/null 2>&1
  npm install --save-dev --save-exact "aws-cdk@$CDK_CLI" "$@" >/dev/null 2>&1
}
synth() { # synth <mode>: synthesize, check no Docker call, invoke one bundled consumer handler from cdk.out
  rm -f "$WORK/docker-calls"
  local t0 t1; t0=$(date +%s%N)
  npx cdk synth --no-notices -q > synth.log 2>&1 || { cat synth.log; echo "FAIL ($1): synth"; exit 1; }
  t1=$(date +%s%N)
  [ ! -e "$WORK/docker-calls" ] || { cat "$WORK/docker-calls"; echo "FAIL ($1): bundling called docker"; exit 1; }
  node "$ROOT/scripts/consumer-invoke.cjs" cdk.out "$ROOT/test/fixtures/events/apigw-rest-proxy.json"
  echo "$1 synth: $(( (t1 - t0) / 1000000 )) ms" | tee -a "$WORK/summary"
}

echo "==> tsx app (cdk init app --language typescript: TypeScript 7 + tsx)"
new_app accounts-tsx typescript
cp -r "$ROOT/test/package/app-ts/." .
install "$CDK_LIB" "$CONSTRUCTS"
node -e "const fs=require('fs');const t=JSON.parse(fs.readFileSync('tsconfig.json'));t.compilerOptions.types=['node'];fs.writeFileSync('tsconfig.json',JSON.stringify(t,null,2))"
set_app "npx tsc && npx tsx bin/accounts.ts"
echo "typescript $(npx tsc --version)"
synth tsx

echo "==> the packaged local runner on the consumer's own assembly (npx secure-api local)"
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
npx secure-api local --no-synth --port "$PORT" > local.log 2>&1 &
LOCAL_PID=$!
for _ in $(seq 1 120); do [ -s .local/endpoints.json ] && break; kill -0 "$LOCAL_PID" 2>/dev/null || break; sleep 0.5; done
[ -s .local/endpoints.json ] || { cat local.log; echo "FAIL: the local runner did not start"; exit 1; }
API=$(node -p "require('./.local/endpoints.json').apiUrl")
public=$(curl -s -o /dev/null -w '%{http_code}' "$API/status")
protected=$(curl -s -o protected.json -w '%{http_code}' "$API/accounts/acc_000000000001")
kill "$LOCAL_PID"; wait "$LOCAL_PID" 2>/dev/null || true
echo "local run: GET /status -> $public, GET /accounts/{id} without a token -> $protected $(cat protected.json)"
[ "$public" = 200 ] && [ "$protected" = 401 ] || { cat local.log; echo "FAIL: unexpected local answers"; exit 1; }

echo "==> ts-node app (TypeScript 5.9, strictest flags, CommonJS + node10 resolution)"
new_app accounts-tsnode typescript
cp -r "$ROOT/test/package/app-ts/." .
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "target": "ES2020", "module": "commonjs", "lib": ["es2020"], "types": ["node"],
    "strict": true, "noUnusedLocals": true, "noUnusedParameters": true, "noImplicitReturns": true,
    "noUncheckedIndexedAccess": true, "exactOptionalPropertyTypes": true, "noPropertyAccessFromIndexSignature": true,
    "noImplicitOverride": true, "noFallthroughCasesInSwitch": true, "skipLibCheck": true
  },
  "exclude": ["node_modules", "cdk.out"]
}
JSON
install "$CDK_LIB" "$CONSTRUCTS" typescript@5.9.3 ts-node@10.9.2 @types/node@20.19.43
set_app "npx ts-node --prefer-ts-exts bin/accounts.ts"
synth ts-node

echo "==> plain JavaScript app (cdk init app --language javascript, .js and .mjs handlers)"
new_app cards-js javascript
cp -r "$ROOT/test/package/app-js/." .
install "$CDK_LIB" "$CONSTRUCTS"
set_app "node bin/cards.js"
synth js

echo "==> lowest of the peer range (aws-cdk-lib $LOWEST_CDK_LIB, constructs $LOWEST_CONSTRUCTS), ts-node app"
mkdir -p "$WORK/accounts-lowest" && cp -r "$WORK/accounts-tsnode/." "$WORK/accounts-lowest/" && cd "$WORK/accounts-lowest"
rm -rf cdk.out node_modules package-lock.json
install "$LOWEST_CDK_LIB" "$LOWEST_CONSTRUCTS" typescript@5.9.3 ts-node@10.9.2 @types/node@20.19.43
synth "lowest (aws-cdk-lib $(node -p "require('aws-cdk-lib/package.json').version"))"

echo "==> consumer summary"
echo "tarball: $FILES files, ${SIZE} KB; peers tested: aws-cdk-lib $LOWEST_CDK_LIB and $CDK_LIB, constructs $LOWEST_CONSTRUCTS and $CONSTRUCTS"
cat "$WORK/summary"
[ -n "${KEEP_CONSUMER_WORK:-}" ] || rm -rf "$WORK"
