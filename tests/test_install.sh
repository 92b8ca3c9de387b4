#!/usr/bin/env bash
# Installs oaconv into a fresh prefix and builds + runs an outside consumer project against it
# with find_package(oaconv) / oaconv::oaconv.
set -euo pipefail
build_dir="$1"
source_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" > "$work/install.log"
test -x "$work/prefix/bin/oaconv" || { echo "the oaconv binary was not installed into bin/"; exit 1; }
test -f "$work/prefix/include/oaconv/oaconv.h" || { echo "headers not installed"; exit 1; }
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$source_dir/tests/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$work/prefix" "${generator[@]}" > "$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/consumer/consumer"  # the build RPATH points into the prefix
"$work/prefix/bin/oaconv" info --no-timing > /dev/null
echo "install + consumer: ok"
