#!/bin/sh
# Browser tests drive Debian's Chromium and need CJK fonts to render Chinese. Install both when
# missing and we may (root with apt-get); otherwise say what is missing — those tests then skip.
# bench/api_intake.py needs wrk (apt-get install wrk); benchmarks are optional, so it is not installed here.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages for browser tests:$missing"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || {
    echo "warning: could not install$missing; browser tests will be skipped"; exit 0; }
else
  echo "warning: missing$missing (install with apt as root); browser tests will be skipped"
fi
