#!/usr/bin/env bash
# Builds ui/dist unless nothing under ui/ changed since the last build. Vite rewrites every file
# it emits and the shell embeds ui/dist, so a needless build makes cargo recompile the shell
# (2.5 min in a release build). Compared by content, not time: `make test` rewrites the
# generated bindings with the same bytes on every run.
set -euo pipefail
cd "$(dirname "$0")/../ui"
stamp=node_modules/.dakiya-ui-stamp
sources=$(find . -mindepth 1 \( -path ./node_modules -o -path ./dist \) -prune -o -type f -print0 |
    sort -z | xargs -0 sha256sum)
if [ -f dist/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ]; then exit 0; fi
npm run build
printf '%s\n' "$sources" >"$stamp"
