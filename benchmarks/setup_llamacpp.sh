#!/usr/bin/env bash
# Sets up llama.cpp as a benchmark peer (benchmarks/bench_peers.py); not part of the test run.
#
# Creates a separate virtual environment (default benchmarks/.peers-venv, git-ignored) and builds
# llama-cpp-python from its source distribution there, for this machine's CPU (GGML_NATIVE: -march=native),
# without the multimodal (mtmd/llava) library the benchmark does not use. The sdist is unpacked under
# $VENV/src, where bench_peers.py finds llama.cpp's own GGUF converter
# (vendor/llama.cpp/convert_hf_to_gguf.py); the converter runs with the project's Python, which has torch
# and transformers.
#
# The same build serves the remote-engine tests (tests/core/remote/): `--server` adds the `[server]` extra's
# packages, pinned below, so that `VENV/bin/python -m llama_cpp.server` runs an OpenAI-compatible server.
#
# Usage: benchmarks/setup_llamacpp.sh [--server] [VENV]   (idempotent: a finished setup is kept)
# Environment: PEERS_VENV (folder, when VENV is not given), PEERS_PYTHON (interpreter for the venv, default
#              python3), PEERS_JOBS (parallel compile jobs, default 2), PEERS_NICE (niceness of the
#              compile, default 10), LLAMA_CPP_PYTHON_VERSION (default pinned below).
# Needs: cmake, a C/C++ compiler, network access to PyPI. About 10 minutes on 2 cores.
set -euo pipefail

SERVER=0
if [ "${1:-}" = --server ]; then SERVER=1; shift; fi

VERSION="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${1:-${PEERS_VENV:-$HERE/.peers-venv}}"
PYTHON="${PEERS_PYTHON:-python3}"
JOBS="${PEERS_JOBS:-2}"
NICE="${PEERS_NICE:-10}"
SRC="$VENV/src"
SDIST_DIR="$SRC/llama_cpp_python-$VERSION"

# The server extra's packages (llama-cpp-python 0.3.36 asks for starlette-context <0.4), pinned so that a
# test run meets the server it was written against. Resolved together on 2026-12-02.
SERVER_PINS=(
    "uvicorn==0.55.0"
    "fastapi==0.165.0"
    "sse-starlette==3.7.1"
    "pydantic-settings==2.16.3"
    "starlette-context==0.3.6"
    "PyYAML==6.0.4"
)
CHECK="import llama_cpp"
if [ "$SERVER" = 1 ]; then
    CHECK="import llama_cpp, llama_cpp.server.app, uvicorn, fastapi, sse_starlette, pydantic_settings, starlette_context"
fi

for tool in cmake cc c++; do
    command -v "$tool" >/dev/null || { echo "setup_llamacpp: '$tool' is needed to build llama.cpp" >&2; exit 1; }
done

# A finished setup leaves a stamp named by the version and the server pins: a change to either rebuilds.
STAMP="$VENV/.setup-$VERSION-$(printf '%s\n' "$SERVER" "${SERVER_PINS[@]}" | sha256sum | cut -c1-12)"
if [ -f "$STAMP" ] && [ -x "$VENV/bin/python" ] \
        && "$VENV/bin/python" -c "$CHECK, sys; sys.exit(llama_cpp.__version__ != '$VERSION')" 2>/dev/null \
        && [ -f "$SDIST_DIR/vendor/llama.cpp/convert_hf_to_gguf.py" ]; then
    echo "setup_llamacpp: llama-cpp-python $VERSION is already set up in $VENV"
    exit 0
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
mkdir -p "$SRC"
SDIST="$SRC/llama_cpp_python-$VERSION.tar.gz"
if [ ! -f "$SDIST" ]; then
    "$VENV/bin/python" -m pip download --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d "$SRC"
fi
[ -d "$SDIST_DIR" ] || tar -xzf "$SDIST" -C "$SRC"

# The same source tree is built and later read for the converter, so both match by construction.
# -DLLAVA_BUILD=OFF: the multimodal library is not used and doubles the build time.
export CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF ${CMAKE_ARGS:-}"
export CMAKE_BUILD_PARALLEL_LEVEL="$JOBS"
if [ "$SERVER" = 1 ]; then
    printf '%s\n' "${SERVER_PINS[@]}" > "$SRC/server-constraints.txt"
    "$VENV/bin/python" -m pip install -c "$SRC/server-constraints.txt" "${SERVER_PINS[@]}"
fi
if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$VERSION')" 2>/dev/null; then
    nice -n "$NICE" "$VENV/bin/python" -m pip install --no-cache-dir --verbose "$SDIST"
fi

"$VENV/bin/python" -c "$CHECK; print('setup_llamacpp: llama-cpp-python', llama_cpp.__version__, 'ready in $VENV')"
rm -f "$VENV"/.setup-*
touch "$STAMP"
