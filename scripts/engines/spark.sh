# Sourced by scripts/test.sh: Spark for one test run, as a session inside each dbt process (no server).
#   engine_start DIR  make sure Java 17 is there, and export RFM_TARGET and RFM_SPARK_DIR (warehouse and
#                     metastore under DIR) for the `spark` target of profiles.yml.example
#   engine_stop       nothing outlives a session's process; the caller removes DIR
# shellcheck source=scripts/engines/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

engine_start() {
    rfm_spark_java || return 1
    export RFM_TARGET=spark RFM_SPARK_DIR="$1/spark"
    echo "==> Spark session with $JAVA_HOME, warehouse and metastore in $RFM_SPARK_DIR" >&2
}

engine_stop() {
    :
}
