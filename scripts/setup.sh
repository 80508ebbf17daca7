# Shared setup for scripts/demo and scripts/test: install missing Debian
# packages (as root only), then configure and build build/ with meson.
# Sourced, not executed.
RCSIM_PACKAGES="meson ninja-build pkg-config gcc libglib2.0-dev libgsl-dev libcairo2-dev libjson-glib-dev fonts-dejavu-core valgrind redis-server redis-tools libhiredis-dev iptables iproute2"

rcsim_missing_packages() {
    local missing="" p
    for p in $RCSIM_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    echo "$missing"
}

rcsim_setup() {
    local missing
    missing=$(rcsim_missing_packages)
    if [ -n "$missing" ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "rcsim: installing missing packages:$missing" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >&2 || true
            # shellcheck disable=SC2086
            apt-get install -y -qq $missing >&2 || { echo "rcsim: apt-get install failed" >&2; return 1; }
        else
            echo "rcsim: missing packages:$missing — install them as root (apt-get install$missing)" >&2
        fi
    fi
    if [ ! -f build/build.ninja ]; then
        meson setup build --buildtype=release >&2 || return 1
    fi
    ninja -C build >&2 || return 1
}
