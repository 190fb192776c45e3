#!/bin/sh
# Installs what symopt needs on Debian 12 (as root) and builds it in build/.
set -eu
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
    build-essential cmake pkg-config flex bison llvm-19-dev libcmocka-dev \
    zlib1g-dev libopenblas-dev dataset-fashion-mnist valgrind
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
