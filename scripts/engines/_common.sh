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

# Java 17 (the one Spark 3.5 supports), installed if missing: exports JAVA_HOME, which pyspark and the Spark
# scripts start their JVM from, and SPARK_LOCAL_IP, which keeps every Spark service on loopback.
rfm_spark_java() {
    local java_home
    java_home="$(rfm_find_java17)" || { rfm_apt_install openjdk-17-jre-headless && java_home="$(rfm_find_java17)"; } \
        || return 1
    export JAVA_HOME="$java_home" SPARK_LOCAL_IP=127.0.0.1
}

rfm_find_java17() {
    local dir
    for dir in /usr/lib/jvm/java-17-openjdk-*; do
        if [ -x "$dir/bin/java" ]; then echo "$dir"; return 0; fi
    done
    return 1
}
