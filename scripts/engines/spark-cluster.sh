#!/usr/bin/env bash
# Sourced by scripts/test.sh: a throw-away standalone Spark cluster on 127.0.0.1 for one test run: a master,
# two workers (one core and their own memory each, so that work crosses processes) and a Spark Thrift server
# attached to it, all from the pyspark wheel (no download), with Java 17.
#   engine_start DIR  start them on free ports, warehouse and metastore under DIR, logs in DIR/spark-cluster,
#                     and export RFM_TARGET and RFM_SPARK_THRIFT_* for the `spark_cluster` target of
#                     profiles.yml.example
#   engine_stop       stop every process started (each in its own process group, executors included),
#                     whatever state the start reached; the caller removes DIR
# RFM_SPARK_EXECUTOR_MEMORY (default 1g) is each worker's memory, given to its one executor, and
# RFM_SPARK_DRIVER_MEMORY (default 1g) the Thrift server's, which builds the tables Spark broadcasts to
# joins (a million orders need more than 1g: the benchmark's cluster column gives both 4g). Run directly
# (see the end), the script runs a command with a cluster up.
# shellcheck source=scripts/engines/_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

# process group ids of the master, the workers and the Thrift server (each the leader of its own session)
spark_cluster_groups=()

# Start a command in a new session (its process group holds the JVM and whatever it forks: a worker's
# executors), logging to LOG; its id goes to spark_cluster_groups.
spark_cluster_spawn() {
    local log="$1"
    shift
    setsid nohup "$@" >"$log" 2>&1 </dev/null &
    spark_cluster_groups+=("$!")
}

# Wait until LOG holds PATTERN; fail with the log's tail if the process group GROUP died or SECONDS passed.
spark_cluster_wait() {
    local log="$1" pattern="$2" group="$3" seconds="$4" waited=0
    until grep -q "$pattern" "$log" 2>/dev/null; do
        if ! kill -0 "$group" 2>/dev/null || [ "$waited" -ge "$seconds" ]; then
            echo "error: no '$pattern' in $log after ${waited}s; its end:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

engine_start() {
    rfm_spark_java || return 1
    local spark_home dir master_port thrift_port master group memory="${RFM_SPARK_EXECUTOR_MEMORY:-1g}"
    spark_home="$(python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" || return 1
    dir="$1/spark-cluster"
    mkdir -p "$dir/worker1" "$dir/worker2"
    master_port="$(rfm_free_port)"
    thrift_port="$(rfm_free_port)"
    master="spark://127.0.0.1:$master_port"
    # SPARK_LOCAL_IP (rfm_spark_java) keeps every service, executors included, on loopback; the daemons need
    # little memory, the work is done by the executors.
    export SPARK_HOME="$spark_home" SPARK_DAEMON_MEMORY=512m SPARK_LOG_DIR="$dir" SPARK_NO_DAEMONIZE=1
    echo "==> Spark cluster: master $master, 2 workers, Thrift server on 127.0.0.1:$thrift_port (logs in $dir)" >&2
    spark_cluster_spawn "$dir/master.log" "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master \
        --host 127.0.0.1 --port "$master_port" --webui-port "$(rfm_free_port)"
    spark_cluster_wait "$dir/master.log" "I have been elected leader" "${spark_cluster_groups[0]}" 120 || return 1
    local worker
    for worker in worker1 worker2; do
        spark_cluster_spawn "$dir/$worker.log" "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
            --host 127.0.0.1 --cores 1 --memory "$memory" --webui-port "$(rfm_free_port)" --work-dir "$dir/$worker" \
            "$master"
    done
    for group in 1 2; do
        spark_cluster_wait "$dir/worker$group.log" "Successfully registered with master" \
            "${spark_cluster_groups[$group]}" 120 || return 1
    done
    # The session target's settings (profiles.yml.example), here the server's: a Parquet warehouse and an
    # embedded Derby metastore that only the server opens, and Hive's per-session folders (otherwise left in
    # /tmp by sessions that end without Hive's clean-up), one per session as Hive's default names them (with
    # one folder for all, a session that ended deleted it while another started: "Couldn't create
    # directory"). Its time zone is not UTC on purpose: the target pins it for each session
    # (server_side_parameters), as it must on a cluster set up by someone else.
    spark_cluster_spawn "$dir/thrift.log" "$spark_home/bin/spark-submit" \
        --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 --name rfm-thrift --master "$master" \
        --driver-memory "${RFM_SPARK_DRIVER_MEMORY:-1g}" \
        --executor-memory "$memory" --executor-cores 1 --total-executor-cores 2 \
        --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
        --conf "spark.sql.warehouse.dir=$dir/warehouse" \
        --conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=$dir/metastore_db;create=true" \
        --conf spark.driver.extraJavaOptions=-Dderby.stream.error.file=/dev/null \
        --conf spark.ui.enabled=false --conf spark.sql.session.timeZone=Asia/Tokyo --conf spark.sql.shuffle.partitions=4 \
        --hiveconf hive.server2.thrift.port="$thrift_port" --hiveconf hive.server2.thrift.bind.host=127.0.0.1 \
        --hiveconf "hive.downloaded.resources.dir=$dir/hive_resources/\${hive.session.id}_resources" \
        spark-internal
    spark_cluster_wait "$dir/thrift.log" "HiveThriftServer2 started" "${spark_cluster_groups[3]}" 180 || return 1
    export RFM_TARGET=spark_cluster RFM_SPARK_THRIFT_HOST=127.0.0.1 RFM_SPARK_THRIFT_PORT="$thrift_port"
}

engine_stop() {
    local group waited i
    # The Thrift server first (it holds the executors), then the workers, then the master.
    for ((i = ${#spark_cluster_groups[@]} - 1; i >= 0; i--)); do
        kill -TERM -- "-${spark_cluster_groups[$i]}" 2>/dev/null || true
    done
    for group in "${spark_cluster_groups[@]}"; do
        waited=0
        while kill -0 -- "-$group" 2>/dev/null && [ "$waited" -lt 30 ]; do
            sleep 1
            waited=$((waited + 1))
        done
        if kill -0 -- "-$group" 2>/dev/null; then
            echo "warning: Spark process group $group still up after ${waited}s: killing it" >&2
            kill -KILL -- "-$group" 2>/dev/null || true
        fi
    done
    spark_cluster_groups=()
}

# Run directly (bash scripts/engines/spark-cluster.sh COMMAND...): COMMAND with a cluster up and the target's
# env vars set, then the cluster stopped. pyspark must be importable by `python` (PATH=.venv/bin:$PATH).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    if [ "$#" -eq 0 ]; then
        echo "usage: bash scripts/engines/spark-cluster.sh COMMAND [ARGS...]" >&2
        exit 2
    fi
    spark_cluster_work="$(mktemp -d)"
    trap 'engine_stop; rm -rf "$spark_cluster_work"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    engine_start "$spark_cluster_work"
    "$@"
fi
