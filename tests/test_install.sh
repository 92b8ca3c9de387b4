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
# The Python package, from the prefix alone (not the build tree), when it was built.
if [ -f "$build_dir/python/oaconv/__init__.py" ]; then
  site="$work/prefix/$(sed -n 's/^OACONV_PYTHON_INSTALL_DIR:STRING=//p' "$build_dir/CMakeCache.txt")"
  (cd "$work" && PYTHONPATH="$site" /usr/bin/python3 -c "
import oaconv, torch
assert oaconv.__file__.startswith('$site'), oaconv.__file__
x, w = torch.randn(1, 2, 9, 9), torch.randn(3, 2, 3, 3)
assert torch.allclose(oaconv.functional.conv2d(x, w, algorithm='fft'), torch.nn.functional.conv2d(x, w), atol=1e-5)
") || { echo "the installed Python package does not import and run"; exit 1; }
fi
echo "install + consumer: ok"
