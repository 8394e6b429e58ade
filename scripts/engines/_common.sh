# Sourced by the engine scripts in this folder: helpers to provide a throw-away local engine.

# Install Debian packages that a test engine needs. Only root can; anyone else is told what to run.
rfm_apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing Debian packages, install them with: sudo apt-get install $*" >&2
        return 1
    fi
    echo "==> installing Debian packages: $*" >&2
    # Another apt run (unattended upgrades, a second session) holds the lock: wait for it, not fail.
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 \
        && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends "$@" >&2
}

# A TCP port free on the loopback interface right now.
rfm_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
