#!/usr/bin/env bash
# The Debian package, end to end on this machine: `./install.sh --deb` builds it (lintian must
# be clean), apt installs it, a repository protected by the installed binary rejects a push
# with a secret, the installed `serve` lists its alert over the REST API, an upgrade keeps the
# admin's config and the alert store, and remove and purge take away what the package created
# and nothing else.
#
# It installs into the real system, so it needs root (CI runs the suite as root). Without root
# it exits 77, which CTest reports as skipped, with the reason.
#
# usage: package_test.sh SOURCE_DIR
set -euo pipefail

SRC=$1
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the package test installs a .deb into this machine with apt and dpkg, which" \
    "needs root (CI runs the suite as root)"
  exit 77
fi

step() { printf '=== %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
for tool in dpkg-buildpackage dh lintian apt-get systemd-analyze man git python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (./install.sh --test installs it)"
done
if dpkg-query -W -f='${Status}' secretgate 2>/dev/null | grep -q 'installed\|config-files'; then
  fail "a secretgate package is already on this machine; this test installs and purges its own" \
    "and will not replace it (dpkg --purge secretgate first)"
fi

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600)
T=$(mktemp -d /tmp/secretgate-package-test-XXXXXX)
USER_EXISTED=0
if getent passwd secretgate >/dev/null; then USER_EXISTED=1; fi
# What this machine had before, put back at the end: /etc/secretgate of a source install.
if [ -e /etc/secretgate ]; then mv /etc/secretgate "$T/etc-secretgate.before"; fi

cleanup() {
  local rc=$?
  if dpkg-query -W -f='${Status}' secretgate 2>/dev/null | grep -q 'installed\|config-files'; then
    "${APT[@]}" purge secretgate >/dev/null 2>&1 || dpkg --purge secretgate >/dev/null 2>&1 || true
  fi
  rm -rf /etc/secretgate /var/lib/secretgate
  if [ -e "$T/etc-secretgate.before" ]; then mv "$T/etc-secretgate.before" /etc/secretgate; fi
  if [ $USER_EXISTED -eq 0 ] && getent passwd secretgate >/dev/null; then
    userdel secretgate >/dev/null 2>&1 || true
    groupdel secretgate >/dev/null 2>&1 || true
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT

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

step "build the package with ./install.sh --deb (lintian must pass)"
"$SRC/install.sh" --deb --no-deps --out "$T/deb"
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
ARCH=$(dpkg --print-architecture)
DEB="$T/deb/secretgate_${VERSION}_$ARCH.deb"
[ -f "$DEB" ] || fail "no $DEB"

step "the package's contents, conffiles and dependencies"
CONTENTS=$(dpkg-deb -c "$DEB" | awk '{print $6}')
# zulip.toml: one of the rule files added with the rules of some 780 providers.
for path in ./usr/bin/secretgate ./usr/share/secretgate/rules/github.toml \
  ./usr/share/secretgate/rules/zulip.toml ./usr/share/secretgate/hooks/pre-receive ./etc/secretgate/config.toml ./var/cache/secretgate/ \
  ./usr/share/man/man1/secretgate.1.gz ./usr/share/man/man1/secretgate-serve.1.gz \
  ./usr/share/man/man1/secretgate-tokens.1.gz ./usr/share/man/man1/secretgate-bypass.1.gz \
  ./lib/systemd/system/secretgate-notify.timer \
  ./lib/systemd/system/secretgate-notify.service ./lib/systemd/system/secretgate-drain.timer \
  ./lib/systemd/system/secretgate-drain.service ./lib/systemd/system/secretgate-serve.service \
  ./usr/lib/sysusers.d/secretgate.conf ./usr/lib/tmpfiles.d/secretgate.conf \
  ./usr/share/doc/secretgate/copyright; do
  grep -qx -- "$path" <<<"$CONTENTS" || fail "the package lacks $path"
done
[ "$(dpkg-deb -f "$DEB" Package)" = secretgate ] || fail "package name"
dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles | grep -qx /etc/secretgate/config.toml ||
  fail "/etc/secretgate/config.toml is not a conffile"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
echo "Depends: $DEPENDS"
for lib in libc6 libstdc++6 libgit2-1.5 libpcre2-8-0 libspdlog1.10 libmicrohttpd12 libcurl4 git; do
  grep -q "\b$lib\b" <<<"$DEPENDS" || fail "Depends lacks $lib"
done
case $ARCH in amd64 | i386) grep -q 'libhyperscan5' <<<"$DEPENDS" || fail "Depends lacks libhyperscan5" ;; esac

step "install it with apt"
"${APT[@]}" install "$DEB" >"$T/apt-install.log" 2>&1 || {
  cat "$T/apt-install.log"
  fail "apt-get install failed"
}
[ "$(dpkg-query -W -f='${Status}' secretgate)" = "install ok installed" ] || fail "not installed"
[ "$(/usr/bin/secretgate version)" = "secretgate $VERSION" ] || fail "secretgate version"
getent passwd secretgate | grep -q ':/usr/sbin/nologin$' || fail "no system user secretgate"
[ "$(getent passwd secretgate | cut -d: -f3)" -lt 1000 ] || fail "secretgate is not a system user"
[ "$(stat -c %U:%G /var/cache/secretgate)" = secretgate:secretgate ] || fail "/var/cache/secretgate owner"
[ "$(stat -c %a:%U:%G /var/lib/secretgate)" = 2770:secretgate:secretgate ] ||
  fail "/var/lib/secretgate mode/owner: $(stat -c %a:%U:%G /var/lib/secretgate)"
/usr/bin/secretgate rules compile | grep -q '^already compiled' ||
  fail "postinst did not compile the rules into the cache"
[ -L /etc/systemd/system/timers.target.wants/secretgate-notify.timer ] || fail "notify timer not enabled"
[ -L /etc/systemd/system/timers.target.wants/secretgate-drain.timer ] || fail "drain timer not enabled"
[ ! -e /etc/systemd/system/multi-user.target.wants/secretgate-serve.service ] ||
  fail "the serve unit must not be enabled by the package"
man -w secretgate >/dev/null || fail "man secretgate: no page"

step "systemd-analyze verify on the installed units (their man pages included)"
for unit in /lib/systemd/system/secretgate-*; do
  out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"
  [ -z "$out" ] || fail "systemd-analyze verify $unit: $out"
done

step "protect a repository with the installed binary, push a secret: rejected"
# Under a root as `serve` maps names: acme/app is ROOT/acme/app.git.
SERVER="$T/srv/acme/app.git"
mkdir -p "$T/srv/acme"
git init -q --bare "$SERVER"
/usr/bin/secretgate protect --repo "$SERVER" >/dev/null
grep -q "SECRETGATE_BIN='/usr/bin/secretgate'" "$SERVER/hooks/pre-receive" ||
  fail "the hook does not run /usr/bin/secretgate"
git init -q "$T/work"
TOKEN=$(fake_github_token)
(
  cd "$T/work"
  git config user.name "Package Test"
  git config user.email package-test@example.invalid
  git remote add origin "$SERVER"
  printf 'GITHUB_TOKEN=%s\n' "$TOKEN" >.env
  git add -A && git commit -q -m "add settings"
  if git push origin HEAD:refs/heads/main >"$T/push.log" 2>&1; then
    cat "$T/push.log"
    fail "the push with a token was accepted"
  fi
)
grep -q 'secretgate: push rejected' "$T/push.log" || fail "no rejection message: $(cat "$T/push.log")"
! grep -q "$TOKEN" "$T/push.log" || fail "the pusher saw the whole token"
ALERTS=$(/usr/bin/secretgate alerts list --repo "$SERVER" --format csv | tail -n +2)
[ "$(wc -l <<<"$ALERTS")" -eq 1 ] || fail "expected one alert: $ALERTS"

step "serve from the package: a token, then the alert over the REST API"
API_TOKEN=$(/usr/bin/secretgate tokens create package-test --role read --server-dir "$T/server-dir" \
  2>/dev/null)
/usr/bin/secretgate serve --root "$T/srv" --listen 127.0.0.1:0 --port-file "$T/port" \
  --server-dir "$T/server-dir" 2>"$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 1 400); do
  if [ -s "$T/port" ]; then break; fi
  kill -0 $SERVE_PID 2>/dev/null || fail "serve exited: $(cat "$T/serve.log")"
  sleep 0.05
done
python3 - "$(cat "$T/port")" "$API_TOKEN" <<'PY' || fail "the REST API did not list the alert"
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
req = urllib.request.Request(
    "http://127.0.0.1:%s/api/v3/repos/acme/app/secret-scanning/alerts" % port,
    headers={"Authorization": "Bearer " + token, "Accept": "application/vnd.github+json"})
with urllib.request.urlopen(req, timeout=30) as r:
    alerts = json.load(r)
assert len(alerts) == 1 and alerts[0]["state"] == "open", alerts
PY
kill $SERVE_PID
wait $SERVE_PID || true

step "upgrade: the admin's config and the alert store stay"
echo '# edited by the admin' >>/etc/secretgate/config.toml
echo 'max_findings_shown = 3' >>/etc/secretgate/config.toml
CONFIG_SUM=$(md5sum </etc/secretgate/config.toml)
STORE_SUM=$(cd "$SERVER/secretgate" && find . -type f | sort | xargs md5sum)
# The same package under a higher version: a real upgrade, without a second build.
dpkg-deb -R "$DEB" "$T/next"
sed -i "s/^Version: .*/Version: $VERSION+upgradetest1/" "$T/next/DEBIAN/control"
dpkg-deb -b "$T/next" "$T/next.deb" >/dev/null
"${APT[@]}" install "$T/next.deb" >"$T/apt-upgrade.log" 2>&1 || {
  cat "$T/apt-upgrade.log"
  fail "the upgrade failed"
}
[ "$(dpkg-query -W -f='${Version}' secretgate)" = "$VERSION+upgradetest1" ] || fail "not upgraded"
[ "$(md5sum </etc/secretgate/config.toml)" = "$CONFIG_SUM" ] || fail "the upgrade changed the config"
[ "$(cd "$SERVER/secretgate" && find . -type f | sort | xargs md5sum)" = "$STORE_SUM" ] ||
  fail "the upgrade changed the alert store"
[ "$(/usr/bin/secretgate alerts list --repo "$SERVER" --format csv | tail -n +2)" = "$ALERTS" ] ||
  fail "the alert is gone after the upgrade"

step "remove: the binary goes, the config stays"
# What the admin put into the package's directories, which purge must leave alone.
echo "admin's key" >/etc/secretgate/partner-key.pem
mkdir -p /var/lib/secretgate/server && echo tokens >/var/lib/secretgate/server/tokens.jsonl
"${APT[@]}" remove secretgate >"$T/apt-remove.log" 2>&1 || {
  cat "$T/apt-remove.log"
  fail "apt-get remove failed"
}
[ ! -e /usr/bin/secretgate ] || fail "/usr/bin/secretgate is still there"
[ -f /etc/secretgate/config.toml ] || fail "remove took the config"
[ "$(dpkg-query -W -f='${db:Status-Abbrev}' secretgate)" = "rc " ] || fail "not in config-files state"
# A hook whose binary is gone rejects every push (README: remove the hooks first).
(
  cd "$T/work"
  git rm -q --cached .env && echo "# no secrets" >.env.example && git add .env.example
  git commit -q -m "clean"
  if git push origin HEAD:refs/heads/clean >"$T/push-after-remove.log" 2>&1; then
    fail "a push to a protected repository was accepted after the binary was removed"
  fi
)
grep -q 'secretgate: not found' "$T/push-after-remove.log" ||
  fail "not rejected for the missing binary: $(cat "$T/push-after-remove.log")"

step "purge: what the package created goes, nothing else"
"${APT[@]}" purge secretgate >"$T/apt-purge.log" 2>&1 || {
  cat "$T/apt-purge.log"
  fail "apt-get purge failed"
}
[ ! -e /etc/secretgate/config.toml ] || fail "purge kept the config"
[ -f /etc/secretgate/partner-key.pem ] || fail "purge took the admin's /etc/secretgate/partner-key.pem"
[ ! -e /var/cache/secretgate ] || fail "purge kept /var/cache/secretgate"
[ -f /var/lib/secretgate/server/tokens.jsonl ] || fail "purge took what the admin kept in /var/lib/secretgate"
[ ! -e /etc/systemd/system/timers.target.wants/secretgate-notify.timer ] || fail "the timer is still enabled"
[ -z "$(dpkg-query -W -f='${Status}' secretgate 2>/dev/null)" ] ||
  dpkg-query -W -f='${Status}' secretgate | grep -q not-installed || fail "dpkg still knows secretgate"
[ -d "$SERVER/secretgate" ] || fail "purge took the repository's alert store"
[ -f "$SERVER/hooks/pre-receive" ] || fail "purge took the repository's hook"
# Debian practice: a system user stays after purge (files anywhere may still belong to it).
getent passwd secretgate >/dev/null || fail "purge removed the system user"

echo "package test passed"
