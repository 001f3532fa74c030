#!/usr/bin/env bash
# secretgate installer: dependencies (Debian 12 packages), build, install, protect repositories,
# and the two quick-start jobs (--demo, --test). Run as root on Debian 12. Idempotent.
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=/usr/local
BUILD_DIR=""
DEPS=1
DEMO=0
TEST=0
DEPS_ONLY=0
DEB=0
DEB_OUT=""
HOOKS_PATH=""
REPOS=()

usage() {
  cat <<'USAGE'
usage: ./install.sh [OPTIONS]

  (no option)          install dependencies, build (Release), install secretgate and its rules
  --prefix DIR         install under DIR (default /usr/local; rules go to DIR/share/secretgate/rules)
  --repo PATH          also protect the repository at PATH (repeatable)
  --hooks-path[=DIR]   also protect every repository on this host: install the hooks into DIR
                       (default /etc/secretgate/hooks) and set `git config --system core.hooksPath`
  --demo               install, then show secretgate rejecting a push with a fake credential
                       and accepting a clean one, in a throwaway repository
  --test               install dependencies (also those of the tests: chromium, wrk, nodejs/npm,
                       python3-jsonschema, debhelper, lintian, systemd, man-db, the browser
                       test's npm package and the SARIF schema from npm), build with tests, run
                       the whole test suite
  --deb                build the Debian package (dpkg-buildpackage) and check it with lintian;
                       the .deb lands in --out DIR (default build-deb/). Installs nothing.
  --out DIR            where --deb puts the package
  --deps-only          only install the dependencies (those of --test included)
  --no-deps            do not run apt-get
  --build-dir DIR      build directory (default build-release, or build-test for --test)
  -h, --help           this help

An existing pre-receive or post-receive hook is kept and chained, never overwritten.
USAGE
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --repo) REPOS+=("$2"); shift 2 ;;
    --repo=*) REPOS+=("${1#*=}"); shift ;;
    --hooks-path) HOOKS_PATH=/etc/secretgate/hooks; shift ;;
    --hooks-path=*) HOOKS_PATH=${1#*=}; shift ;;
    --demo) DEMO=1; shift ;;
    --test) TEST=1; shift ;;
    --deb) DEB=1; shift ;;
    --out) DEB_OUT=$2; shift 2 ;;
    --out=*) DEB_OUT=${1#*=}; shift ;;
    --deps-only) DEPS_ONLY=1; shift ;;
    --no-deps) DEPS=0; shift ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --build-dir=*) BUILD_DIR=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

PACKAGES=(g++ cmake make pkg-config git ca-certificates libgit2-dev libpcre2-dev
  libtomlplusplus-dev libspdlog-dev doctest-dev nlohmann-json3-dev libssl-dev libcurl4-openssl-dev
  zlib1g-dev libmicrohttpd-dev python3)
# Building and checking the Debian package (--deb; the test suite builds and installs it too).
DEB_PACKAGES=(debhelper dpkg-dev lintian)
# What only the test suite needs beyond that: gitolite3 (hooks under core.hooksPath), ssh-keygen
# for its keys, util-linux's runuser and flock (real OS users, held store locks), a JSON Schema
# validator and `script` (a terminal for the progress-line test), Debian's chromium for the
# page's browser test (driven by playwright-core from npm, tests/browser), wrk for
# bench/serve.sh, systemd for `systemd-analyze verify` on the units, and man-db to render the
# man pages; and, from npm, the SARIF 2.1.0 schema in the package @microsoft/jest-sarif
# (installed under TEST_DEPS_DIR, read by tests/e2e/scan_e2e_test.cc).
TEST_PACKAGES=(gitolite3 openssh-client util-linux python3-jsonschema bsdutils chromium wrk systemd
  man-db)
TEST_DEPS_DIR=/usr/local/share/secretgate-test-deps
SARIF_NPM_PACKAGE=@microsoft/jest-sarif@1.0.0-beta.0

install_deps() {
  local hs=libhyperscan-dev
  local wanted=("${PACKAGES[@]}")
  if [ $DEB -eq 1 ] || [ $TEST -eq 1 ] || [ $DEPS_ONLY -eq 1 ]; then wanted+=("${DEB_PACKAGES[@]}"); fi
  if [ $TEST -eq 1 ] || [ $DEPS_ONLY -eq 1 ]; then
    wanted+=("${TEST_PACKAGES[@]}")
    # nodejs and npm from Debian, unless a node (with its npm) is already installed.
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
      wanted+=(nodejs npm)
    fi
  fi
  # Hyperscan is x86-only; Vectorscan is the same API elsewhere.
  case "$(dpkg --print-architecture)" in amd64|i386) ;; *) hs=libvectorscan-dev ;; esac
  local missing=()
  for p in "${wanted[@]}" "$hs"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "dependencies already installed"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: missing packages (${missing[*]}); run as root or install them first" >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_test_deps() {
  local missing=()
  for p in "${TEST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # npm: Debian's package, unless a node installation already brings one.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "install.sh: missing test packages (${missing[*]}); run as root or install them" >&2
      exit 1
    fi
    say "installing ${missing[*]} (for the tests)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if [ ! -f "$TEST_DEPS_DIR/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json" ]; then
    say "installing the SARIF 2.1.0 schema ($SARIF_NPM_PACKAGE, npm) into $TEST_DEPS_DIR"
    mkdir -p "$TEST_DEPS_DIR"
    npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$TEST_DEPS_DIR" \
      "$SARIF_NPM_PACKAGE" >/dev/null
  fi
}

JOBS=$(nproc 2>/dev/null || echo 2)

build_release() {
  local dir=${BUILD_DIR:-$SRC_DIR/build-release}
  say "building secretgate (Release) in $dir"
  cmake -S "$SRC_DIR" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
    -DSECRETGATE_BUILD_TESTS=OFF >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null
  say "installing into $PREFIX"
  cmake --install "$dir" >/dev/null
  if [ "$(id -u)" -eq 0 ]; then
    mkdir -p /etc/secretgate /var/cache/secretgate
    chmod 0755 /var/cache/secretgate
    # Warm the server-wide rule cache so that the first push does not pay for the compile.
    "$PREFIX/bin/secretgate" rules compile >/dev/null || true
    # The commented defaults, generated by CMake from dist/config.toml.in (the package ships
    # the same file). An existing config is never touched.
    if [ ! -e /etc/secretgate/config.toml ]; then
      install -m 0644 "$dir/config.toml" /etc/secretgate/config.toml
    fi
  fi
}

# The browser test's one npm package (playwright-core, pinned by tests/browser/package-lock.json).
install_browser_test_deps() {
  say "installing the browser test's npm packages (npm ci in tests/browser)"
  (cd "$SRC_DIR/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
}

run_tests() {
  local dir=${BUILD_DIR:-$SRC_DIR/build-test}
  install_browser_test_deps
  say "building secretgate with tests in $dir"
  cmake -S "$SRC_DIR" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$dir" -j "$JOBS"
  say "running the test suite"
  (cd "$dir" && ctest --output-on-failure --timeout 3000)
}

# The Debian package, built from a copy of the tree (dpkg-buildpackage writes next to the source
# and into debian/), then checked with lintian: warnings fail the build as errors do.
build_deb() {
  local out=${DEB_OUT:-$SRC_DIR/build-deb} version arch scratch src
  version=$(dpkg-parsechangelog -l "$SRC_DIR/debian/changelog" -S Version)
  arch=$(dpkg --print-architecture)
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  scratch=$(mktemp -d /tmp/secretgate-deb-XXXXXX)
  src="$scratch/secretgate-$version"
  mkdir "$src"
  say "building the Debian package secretgate $version in $scratch"
  tar -C "$SRC_DIR" --exclude='./build*' --exclude=./.git --exclude='./obj-*' \
    --exclude=./bench/out --exclude=./tests/browser/node_modules --exclude=./debian/secretgate \
    --exclude=./debian/.debhelper --exclude=./debian/files --exclude='./debian/*.substvars' \
    --exclude='./debian/*debhelper*' -cf - . | tar -C "$src" -xf -
  if ! (cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$JOBS}" \
        dpkg-buildpackage -b -us -uc) >"$scratch/build.log" 2>&1; then
    tail -n 40 "$scratch/build.log" >&2
    echo "install.sh: dpkg-buildpackage failed (log: $scratch/build.log)" >&2
    exit 1
  fi
  cp "$scratch"/secretgate*_"$version"_"$arch".deb "$scratch/secretgate_${version}_$arch.changes" \
    "$scratch/secretgate_${version}_$arch.buildinfo" "$out/"
  rm -rf "$scratch"
  say "lintian $out/secretgate_${version}_$arch.changes"
  if ! lintian --fail-on error,warning "$out/secretgate_${version}_$arch.changes"; then
    echo "install.sh: lintian found problems in the package" >&2
    exit 1
  fi
  say "built $out/secretgate_${version}_$arch.deb"
}

fake_github_token() {
  python3 - <<'PY'
import random, zlib
a = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
r = "".join(random.choice(a) for _ in range(30))
v, s = zlib.crc32(r.encode()), ""
while True:
    s = a[v % 62] + s
    v //= 62
    if v == 0:
        break
print("ghp_" + r + s.rjust(6, "0"))
PY
}

demo() {
  local bin="$PREFIX/bin/secretgate" d
  d=$(mktemp -d /tmp/secretgate-demo-XXXXXX)
  say "demo in $d: a protected bare repository and a client"
  git init -q --bare "$d/server.git"
  "$bin" protect --repo "$d/server.git" >/dev/null
  git init -q "$d/work"
  cd "$d/work"
  git config user.name "Demo Developer"
  git config user.email demo@example.invalid
  git remote add origin ../server.git
  echo "# demo service" > README.md
  printf 'DATABASE_HOST=db.internal\nGITHUB_TOKEN=%s\n' "$(fake_github_token)" > .env
  git add -A && git commit -q -m "add service config"
  say "pushing a commit with a (fake) GitHub token: secretgate must reject it"
  if git push origin HEAD:refs/heads/main; then
    echo "install.sh: DEMO FAILED: the push with a credential was accepted" >&2
    exit 1
  fi
  say "rejected. Removing the token from the commit and pushing again"
  printf 'DATABASE_HOST=db.internal\nGITHUB_TOKEN=${GITHUB_TOKEN}\n' > .env
  git add -A && git commit -q --amend -m "add service config"
  if ! git push origin HEAD:refs/heads/main; then
    echo "install.sh: DEMO FAILED: the clean push was rejected" >&2
    exit 1
  fi
  say "accepted. The alert recorded for the leaked token (it stays open until someone closes it):"
  "$bin" alerts list --repo "$d/server.git" || true
  say "demo done: $d (remove it when you are finished)"
}

if [ $DEPS -eq 1 ]; then install_deps; fi
if [ $DEPS -eq 1 ] && { [ $TEST -eq 1 ] || [ $DEPS_ONLY -eq 1 ]; }; then install_test_deps; fi
if [ $DEPS_ONLY -eq 1 ]; then
  install_browser_test_deps
  exit 0
fi
if [ $TEST -eq 1 ]; then
  run_tests
  exit 0
fi
if [ $DEB -eq 1 ]; then
  build_deb
  exit 0
fi
build_release
for r in "${REPOS[@]}"; do "$PREFIX/bin/secretgate" protect --repo "$r"; done
if [ -n "$HOOKS_PATH" ]; then "$PREFIX/bin/secretgate" protect --hooks-path "$HOOKS_PATH"; fi
if [ $DEMO -eq 1 ]; then demo; fi
say "secretgate $("$PREFIX/bin/secretgate" version | cut -d' ' -f2) installed in $PREFIX"
