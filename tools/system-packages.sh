#!/usr/bin/env bash
# Install the Debian packages the tests need, where they are missing (one `apt-get update`, only if needed):
# wrk (load tests), chromium + chromium-driver (the page's browser tests), postgresql and prometheus
# (drift monitoring's store and scrape tests), default-jre-headless (Spark), nginx (the front of
# PREDICT_FRONT=nginx and of the Kubernetes sidecar). Used by `make test` and .ci/run;
# `tools/system-packages.sh nginx` installs only the named ones (`PREDICT_FRONT=nginx make serve` does that
# when nginx is missing).
set -euo pipefail
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
if (($# > 0)); then  # only the packages named on the command line
  wanted=" $* "
  only=()
  for pkg in "${need[@]}"; do [[ $wanted == *" $pkg "* ]] && only+=("$pkg"); done
  need=("${only[@]}")
fi
if ((${#need[@]} == 0)); then
  echo "system packages: all present"
  exit 0
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "system packages: installing ${need[*]}"
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
