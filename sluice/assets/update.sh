#!/usr/bin/env bash
# Refreshes the Swagger UI and ReDoc assets that the `embedded-docs`
# feature serves from the binary, from their npm packages at the versions
# pinned below (nothing is downloaded when sluice is built).
#
#   sluice/assets/update.sh                # the pinned versions
#   sluice/assets/update.sh 5.36.0 2.5.5   # others: swagger-ui-dist, redoc
#
# It also writes the versions into src/openapi/pages.rs, whose CDN URLs
# name the same ones. Commit the result with the versions in the message.
set -euo pipefail

swagger_ui=${1:-5.35.0}
redoc=${2:-2.5.4}
here=$(cd "$(dirname "$0")" && pwd)
pages="$here/../src/openapi/pages.rs"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$swagger_ui" "redoc@$redoc" >/dev/null)
mkdir "$tmp/swagger-ui" "$tmp/redoc"
tar -xzf "$tmp/swagger-ui-dist-$swagger_ui.tgz" -C "$tmp/swagger-ui"
tar -xzf "$tmp/redoc-$redoc.tgz" -C "$tmp/redoc"

mkdir -p "$here/swagger-ui" "$here/redoc"
for file in swagger-ui-bundle.js swagger-ui.css oauth2-redirect.js LICENSE NOTICE; do
  cp "$tmp/swagger-ui/package/$file" "$here/swagger-ui/$file"
done
# The source map the bundle names is not shipped: drop the comment so
# browsers do not ask for it.
sed -i '/^\/\/# sourceMappingURL=/d' "$here/swagger-ui/swagger-ui-bundle.js"
cp "$tmp/redoc/package/bundles/redoc.standalone.js" "$here/redoc/redoc.standalone.js"
cp "$tmp/redoc/package/LICENSE" "$here/redoc/LICENSE"
printf 'swagger-ui-dist %s\n' "$swagger_ui" >"$here/swagger-ui/VERSION"
printf 'redoc %s\n' "$redoc" >"$here/redoc/VERSION"

sed -i -E \
  -e "s/(SWAGGER_UI_VERSION: &str = \")[^\"]*/\1$swagger_ui/" \
  -e "s/(REDOC_VERSION: &str = \")[^\"]*/\1$redoc/" \
  -e "s/swagger-ui-dist@[0-9][^/]*/swagger-ui-dist@$swagger_ui/g" \
  -e "s/redoc@[0-9][^/]*/redoc@$redoc/g" \
  "$pages"
echo "swagger-ui-dist $swagger_ui and redoc $redoc are in $here"
