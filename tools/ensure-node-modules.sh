#!/usr/bin/env bash
# Installs the UI's npm packages when they are missing or package-lock.json changed since.
set -euo pipefail
cd "$(dirname "$0")/../ui"
stamp=node_modules/.dakiya-lock-stamp
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then exit 0; fi
echo "Installing the UI's npm packages (npm ci)"
npm ci --no-audit --no-fund
cp package-lock.json "$stamp"
