#!/bin/sh
# Builds quarry's installable artifacts into $COMPAT_ARTIFACT_DIR (default: ./dist):
#   quarry.tgz                           the npm package (npm pack of js/)
#   quarry-<version>-py3-none-any.whl    the Python wheel (of python/)
# Works offline: npm pack needs no registry, and the wheel is built with the system's setuptools
# (--no-build-isolation --no-index), so nothing is downloaded. The checkout is left as it was.
set -eu

out=${COMPAT_ARTIFACT_DIR:-$PWD/dist}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# npm and pip keep caches under $HOME, which a build container may not have.
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' js/package.json)
pyversion=$(sed -n 's/^version = "\([^"]*\)"/\1/p' python/pyproject.toml)
if [ -z "$version" ] || [ "$version" != "$pyversion" ]; then
  echo "build-artifacts: js/package.json says '$version' but python/pyproject.toml says '$pyversion'" >&2
  exit 1
fi
case "${COMPAT_LIBRARY_VERSION:-$version}" in
  "$version" | "v$version") ;;
  *) echo "build-artifacts: warning: building $version for requested version ${COMPAT_LIBRARY_VERSION}" >&2 ;;
esac

echo "== npm package quarry@$version"
# Both packages carry the project's LICENSE: npm packs it from a copy of js/, setuptools from python/.
cp -R js "$work/js"
cp LICENSE "$work/js/LICENSE"
(cd "$work/js" && npm pack --pack-destination "$work" >/dev/null)
mv "$work/quarry-$version.tgz" "$out/quarry.tgz"

echo "== python wheel quarry $version"
# Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
cp -R python "$work/python"
cp LICENSE "$work/python/LICENSE"
python3 -m pip wheel --quiet --no-deps --no-build-isolation --no-index --wheel-dir "$out" "$work/python"
test -f "$out/quarry-$version-py3-none-any.whl"

echo "== built into $out:"
ls -l "$out"
