# Sourced by scripts/test: the Debian packages the browser tests need, installed when
# missing. Chromium drives the web client's end-to-end test (playwright-core never
# downloads a browser of its own); the Noto CJK fonts make Korean readable in screenshots.

ensure_debian_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "stocklab: missing Debian packages: ${missing[*]} (install them as root); the browser test will be skipped" >&2
      return 0
    fi
  fi
  echo "stocklab: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
