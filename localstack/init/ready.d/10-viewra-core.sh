#!/usr/bin/env bash
# LocalStack ready hook: create Viewra's stack from the core template (build/package/core.json,
# rendered from shared/viewra/stack.py and the PynamoDB models by `make package`).
set -euo pipefail
template=/etc/viewra/core.json
if [ ! -s "$template" ]; then
  echo "viewra: $template missing: run 'make package' (or python -m infra.package --only core)" >&2
  exit 1
fi
awslocal cloudformation deploy --stack-name viewra-core --template-file "$template" --no-fail-on-empty-changeset
awslocal cloudformation describe-stacks --stack-name viewra-core --query 'Stacks[0].StackStatus' --output text
