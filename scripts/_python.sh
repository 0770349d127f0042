# Sourced by scripts/up and scripts/test: find Python 3.13 (3.12 for running only),
# create .venv beside the project and install stocklab into it when pyproject changed.
# Usage: ensure_venv <min-minor> <extras> (extras empty: the runtime packages only)

find_python() {
  local min_minor=$1 candidate
  for candidate in python3.13 python3.12 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 \
      /usr/local/bin/python3 /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c "import sys; sys.exit(0 if sys.version_info >= (3, $min_minor) else 1)" 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  local min_minor=$1 extras=$2 python venv=.venv stamp
  if [ -x "$venv/bin/python" ] &&
     ! "$venv/bin/python" -c "import sys; sys.exit(0 if sys.version_info >= (3, $min_minor) else 1)"; then
    echo "stocklab: $venv is older than Python 3.$min_minor; recreating it" >&2
    rm -rf "$venv"
  fi
  if [ ! -x "$venv/bin/python" ]; then
    if ! python=$(find_python "$min_minor"); then
      echo "stocklab: Python 3.$min_minor or newer is needed (pyenv install 3.13 or apt-get install python3.13)" >&2
      exit 2
    fi
    echo "stocklab: creating $venv with $python" >&2
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
  fi
  local hash spec=.
  hash=$(cat pyproject.toml setup.py | sha1sum | cut -c1-12)
  stamp="$venv/.installed-$hash-$extras"
  [ -n "$extras" ] && spec=".[$extras]"
  # Running needs only the runtime packages; a venv the tests filled has them all.
  if [ -z "$extras" ] && [ -f "$venv/.installed-$hash-dev" ]; then
    stamp="$venv/.installed-$hash-dev"
  fi
  if [ ! -f "$stamp" ]; then
    echo "stocklab: installing ${extras:-runtime} dependencies into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
    rm -f "$venv"/.installed-*
    touch "$stamp"
  fi
  export PATH="$PWD/$venv/bin:$PATH"
}
