#!/usr/bin/env bash
# `npm run test:compat`: installs the package as users get it (the `npm pack` tarball, never a
# folder: that symlinks it and brings a second @nestjs/core) into the apps under test/compat/, and
# runs each app's `npm run compat`:
#   cjs-nest11         CommonJS, NestJS 11, TypeORM 0.3 + PostgreSQL, TypeScript 5.9, Jest's default ts-jest
#   esm-nest12         ES modules, NestJS 12, TypeORM 1 + PostgreSQL, TypeScript 6, Vitest
#   no-optional-peers  only the required peers (no typeorm, no @nestjs/config)
#   types              the declarations under TypeScript 5.8, 6 and the newest 7
# The apps are copied outside the repository first, so that Node cannot find a missing package in
# the repository's own node_modules. Each app's package-lock.json is used as is (`npm ci`).
#
# Environment: COMPAT_APPS (space-separated subset), COMPAT_TARBALL (test this tarball instead of
# building and packing), COMPAT_WORKDIR (default $TMPDIR/nest-cognito-auth-compat, emptied first),
# COMPAT_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test). Exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="${COMPAT_WORKDIR:-${TMPDIR:-/tmp}/nest-cognito-auth-compat}"
read -r -a apps <<< "${COMPAT_APPS:-cjs-nest11 esm-nest12 no-optional-peers types}"

log() { printf '\n== compat: %s (%ss)\n' "$*" "$SECONDS"; }

case "$work/" in
  "$root"/*) echo "COMPAT_WORKDIR must be outside the repository ($work)" >&2; exit 1 ;;
esac

if [ -n "${COMPAT_TARBALL:-}" ]; then
  tarball="$(cd "$(dirname "$COMPAT_TARBALL")" && pwd)/$(basename "$COMPAT_TARBALL")"
else
  log "build and npm pack"
  (cd "$root" && npm run build --silent)
  mkdir -p "$root/test-output/compat"
  rm -f "$root"/test-output/compat/*.tgz
  tarball="$root/test-output/compat/$(cd "$root" && npm pack --silent --pack-destination test-output/compat | tail -n 1)"
fi
[ -f "$tarball" ] || { echo "no tarball at $tarball" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
tar -C "$root/test/compat" --exclude=node_modules --exclude=dist --exclude='*.tsbuildinfo' -cf - . | tar -C "$work" -xf -

for app in "${apps[@]}"; do
  [ -f "$work/$app/package-lock.json" ] || { echo "unknown compat app: $app" >&2; exit 1; }
  log "$app: npm ci"
  (cd "$work/$app" && npm ci --no-audit --no-fund --loglevel=error)
  log "$app: npm install $(basename "$tarball")"
  (cd "$work/$app" && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball")
  log "$app: npm run compat"
  (cd "$work/$app" && npm run compat)
done
log "passed: ${apps[*]}"
