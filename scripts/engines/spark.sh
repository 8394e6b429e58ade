# Sourced by scripts/test.sh: Spark for one test run, as a session inside each dbt process (no server).
#   engine_start DIR  make sure Java 17 is there, and export RFM_TARGET and RFM_SPARK_DIR (warehouse and
#                     metastore under DIR) for the `spark` target of profiles.yml.example
#   engine_stop       nothing outlives a session's process; the caller removes DIR
# shellcheck source=scripts/engines/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

spark_find_java17() {
    local dir
    for dir in /usr/lib/jvm/java-17-openjdk-*; do
        if [ -x "$dir/bin/java" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

engine_start() {
    local java_home
    java_home="$(spark_find_java17)" \
        || { rfm_apt_install openjdk-17-jre-headless && java_home="$(spark_find_java17)"; } || return 1
    # pyspark starts the JVM found through JAVA_HOME: pin the one Spark 3.5 supports. SPARK_LOCAL_IP keeps
    # every Spark service on loopback.
    export JAVA_HOME="$java_home" SPARK_LOCAL_IP=127.0.0.1 RFM_TARGET=spark RFM_SPARK_DIR="$1/spark"
    echo "==> Spark session with $JAVA_HOME, warehouse and metastore in $RFM_SPARK_DIR" >&2
}

engine_stop() {
    :
}
