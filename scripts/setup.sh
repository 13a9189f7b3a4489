# Shared set-up for scripts/quickstart and scripts/test (sourced, not run).
# Installs what is missing on Debian/Ubuntu: the system HDF5 library (with
# its headers and pkg-config). Needs Rust >= 1.85 (https://rustup.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "tokensim setup: $*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
  say "cargo not found: install Rust >= 1.85 with rustup (https://rustup.rs), then rerun."
  exit 1
fi

have_hdf5() {
  pkg-config --exists hdf5 2>/dev/null && return 0
  [ -n "${HDF5_DIR:-}" ] && return 0
  ls /usr/lib/*/hdf5/serial/libhdf5.so /usr/lib/*/libhdf5_serial.so /usr/lib/libhdf5.so \
     /usr/local/lib/libhdf5.so >/dev/null 2>&1
}

if ! have_hdf5 || ! command -v pkg-config >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    say "installing the system HDF5 library (libhdf5-dev) and pkg-config with apt-get"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq libhdf5-dev pkg-config >/dev/null
  else
    say "HDF5 (>= 1.10, with headers) is missing and this is not Debian/Ubuntu."
    say "Install it with your package manager (Fedora: dnf install hdf5-devel;"
    say "macOS: brew install hdf5) or set HDF5_DIR to its prefix, then rerun."
    exit 1
  fi
fi
