#!/bin/sh
# Installs every build, test and benchmark dependency of the project from
# Debian 12 packages.  Idempotent: a second run installs nothing new.
set -eu

PACKAGES="
  build-essential cmake ninja-build pkg-config git
  clang-14 lld-14 llvm-14 libclang-rt-14-dev libclang-rt-14-dev-wasm32 wasi-libc
  libprotobuf-c-dev protobuf-c-compiler
  libjson-c-dev libseccomp-dev libcap-dev libmicrohttpd-dev nettle-dev
  containerd runc busybox-static iproute2 util-linux procps psmisc curl
  python3 python3-grpcio python3-grpc-tools python3-protobuf python3-yaml shellcheck
  wrk hyperfine wabt
  libcurl4-openssl-dev libsqlite3-dev
  libhiredis-dev redis-server
  libpq-dev postgresql
  libarchive-dev
  libmariadb-dev mariadb-server
  libmosquitto-dev mosquitto
"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done

# node (for the WASI peer benchmark) may already come from another source
# that bundles npm; only ask Debian for it when there is none.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# jco from npm: the component tests write their components as WAT
# (`jco parse`) and turn preview-1 programs into WASI 0.2 commands with the
# preview-1 adapter jco bundles (`jco new --wasi-command`).  Installed into
# the checkout's .tools/ (git-ignored), found there by CMake.
tools="$(cd "$(dirname "$0")/.." && pwd)/.tools"
if [ ! -x "$tools/node_modules/.bin/jco" ]; then
    npm install --prefix "$tools" --no-audit --no-fund --silent @bytecodealliance/jco@1.35.0
fi

# Debian's containerd package starts a system containerd; the tests run their
# own private instance and never touch it, so leaving it alone is fine.
echo "install-deps: all dependencies present"
