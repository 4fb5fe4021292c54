#!/bin/sh
# Installs the Debian packages bertscope needs to build, run and test, if any is missing:
#   build-essential pkg-config  compiler and pkg-config
#   libncurses-dev               ncursesw (the interface)
#   libopenblas-dev              OpenBLAS (GEMM)
#   libutf8proc-dev              utf8proc (Unicode tables for the tokenizer)
#   libcjson-dev                 cJSON (config.json, tokenizer files, safetensors headers)
#   libcmocka-dev                cmocka (tests)
#   tmux                         the end-to-end interface test
#   jq time                      end-to-end checks of JSON Lines and peak memory
#   clang libclang-rt-14-dev     only for `make fuzz` (libFuzzer), with the argument "fuzz"
# Skip with NO_INSTALL=1 (make run NO_INSTALL=1).
set -e
pkgs="build-essential pkg-config libncurses-dev libopenblas-dev libutf8proc-dev libcjson-dev libcmocka-dev tmux jq time"
[ "${1:-}" = fuzz ] && pkgs="$pkgs clang libclang-rt-14-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bertscope: installing Debian packages:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $missing
