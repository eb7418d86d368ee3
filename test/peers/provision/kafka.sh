#!/usr/bin/env bash
# Apache Kafka, single-node KRaft (broker+controller in one JVM), from Maven Central jars.
#
# Installs:
#   $PEERS_BIN/kafka-server     launcher: formats storage on first start, then runs the broker
#   $PEERS_BIN/kafka-run-class  any Kafka class on the same classpath (TopicCommand, ...)
#
#   kafka-server --dir DIR [--port N] [--controller-port N] [--host 127.0.0.1] [--set key=value]...
#     DIR/server.properties is rewritten on every start, DIR/data keeps the log (restarts keep data);
#     ports left out are picked free on the first start and then reused from DIR/ports.
#     Ready when stdout has "Kafka Server started"; DIR/bootstrap holds host:port.
#     SIGTERM stops it cleanly (about 2 s). Env: KAFKA_HEAP_OPTS, KAFKA_JVM_OPTS, KAFKA_LOG_LEVEL.
source "$(dirname "$0")/lib.sh"

# org.apache.kafka:kafka_2.13. 3.9.2 and 4.3.1 both verified (same launcher; 4.x logs with log4j2 instead of
# reload4j; 4.4.0 cannot be used: its kafka-tools jar is not on Central). HELIOS_KAFKA_VERSION overrides the pin.
KAFKA_VERSION=${HELIOS_KAFKA_VERSION:-3.9.2}
SLF4J_VERSION=1.7.36              # the slf4j-api that kafka 3.9/4.x resolve; its binding must match it
RELOAD4J_VERSION=1.2.25           # 3.x logging backend
LOG4J2_VERSION=2.25.5             # 4.x logging backend (the log4j-core that kafka 4.3.1 resolves)
DEP_PLUGIN=3.8.1                  # maven-dependency-plugin
REV=4                             # bump when the launcher below changes

STAMP="$KAFKA_VERSION-r$REV"
HOME_DIR="$PEERS_SRC/kafka-$KAFKA_VERSION"
if stamped kafka "$STAMP" && [ -x "$PEERS_BIN/kafka-server" ] && [ -f "$HOME_DIR/classpath" ]; then
  report kafka "$KAFKA_VERSION" "$PEERS_BIN/kafka-server"
  exit 0
fi

command -v java >/dev/null || { log "kafka: java (17+) is required"; exit 1; }
command -v mvn >/dev/null || { log "kafka: mvn is required"; exit 1; }

mkdir -p "$HOME_DIR"
if [ "${KAFKA_VERSION%%.*}" -ge 4 ]; then
  # 4.x: log4j-core comes with kafka-server; add the SLF4J 1.x binding for it
  logging_deps="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J2_VERSION</version></dependency>"
  log_opt="-Dlog4j2.configurationFile=file:$HOME_DIR/log4j2.properties"
else
  # 3.x: kafka core declares its logging backend compileOnly: bring one
  logging_deps="<dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>"
  log_opt="-Dlog4j.configuration=file:$HOME_DIR/log4j.properties"
fi
cat >"$HOME_DIR/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.helios</groupId><artifactId>kafka-peer</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- CLI tools (TopicCommand, MetadataQuorumCommand, ...) without Kafka Connect -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions></dependency>
    $logging_deps
  </dependencies>
</project>
EOF

log "kafka: resolving $KAFKA_VERSION from Maven Central"
rm -rf "$HOME_DIR/libs" "$HOME_DIR/kafka.jsa"
mvn -B -q -f "$HOME_DIR/pom.xml" -Dmaven.repo.local="$PEERS_SRC/m2" \
  "org.apache.maven.plugins:maven-dependency-plugin:$DEP_PLUGIN:copy-dependencies" \
  -DoutputDirectory="$HOME_DIR/libs" -DincludeScope=runtime >"$HOME_DIR/mvn.log" 2>&1 \
  || { cat "$HOME_DIR/mvn.log" >&2; log "kafka: maven failed"; exit 1; }
# An explicit, sorted class path: stable across runs, so the class-data-sharing archive matches it.
ls -d "$HOME_DIR"/libs/*.jar | LC_ALL=C sort | paste -sd: >"$HOME_DIR/classpath"
cat >"$HOME_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=${kafka.root.level}, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
# the readiness line "Kafka Server started" comes from here
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
cat >"$HOME_DIR/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${sys:kafka.root.level:-WARN}
rootLogger.appenderRef.stdout.ref = STDOUT
# the readiness line "Kafka Server started" comes from here
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
EOF
echo "$log_opt" >"$HOME_DIR/log-opt"

cat >"$PEERS_BIN/kafka-run-class" <<EOF
#!/usr/bin/env bash
# kafka-run-class CLASS [ARGS...]   e.g. org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
KAFKA_HOME="$HOME_DIR"
EOF
cat >>"$PEERS_BIN/kafka-run-class" <<'EOF'
exec java ${KAFKA_HEAP_OPTS:--Xmx128m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
  -Dkafka.root.level="${KAFKA_LOG_LEVEL:-WARN}" "$(cat "$KAFKA_HOME/log-opt")" \
  -cp "$(cat "$KAFKA_HOME/classpath")" "$@"
EOF

cat >"$PEERS_BIN/kafka-server" <<EOF
#!/usr/bin/env bash
# kafka-server --dir DIR [--port N] [--controller-port N] [--host H] [--set key=value]...
set -euo pipefail
KAFKA_HOME="$HOME_DIR"
KAFKA_VERSION="$KAFKA_VERSION"
EOF
cat >>"$PEERS_BIN/kafka-server" <<'EOF'
dir= port= cport= host=127.0.0.1 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --controller-port) cport=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --set) extra+=("$2"); shift 2 ;;
    --version) echo "$KAFKA_VERSION"; exit 0 ;;
    *) echo "kafka-server: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$dir" ] || { echo "usage: kafka-server --dir DIR [--port N] [--controller-port N] [--host H] [--set k=v]..." >&2; exit 2; }
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ -f "$dir/ports" ]; then read -r oport ocport <"$dir/ports"; port=${port:-$oport}; cport=${cport:-$ocport}; fi
[ -n "$port" ] && [ "$port" != 0 ] || port=$(free_port)
[ -n "$cport" ] && [ "$cport" != 0 ] || { cport=$(free_port); while [ "$cport" = "$port" ]; do cport=$(free_port); done; }
echo "$port $cport" >"$dir/ports"
cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$host:$cport
listeners=PLAINTEXT://$host:$port,CONTROLLER://$host:$cport
advertised.listeners=PLAINTEXT://$host:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
num.network.threads=2
num.io.threads=2
background.threads=2
PROPS
for kv in "${extra[@]+"${extra[@]}"}"; do echo "$kv" >>"$dir/server.properties"; done
echo "$host:$port" >"$dir/bootstrap"
cp="$(cat "$KAFKA_HOME/classpath")"
jvm=(${KAFKA_HEAP_OPTS:--Xms32m -Xmx256m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData
     -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true ${KAFKA_JVM_OPTS:-}
     -Dkafka.root.level="${KAFKA_LOG_LEVEL:-WARN}" "$(cat "$KAFKA_HOME/log-opt")")
if [ -f "$KAFKA_HOME/kafka.jsa" ] && [ -z "${KAFKA_CDS_DUMP:-}" ]; then
  jvm+=(-XX:SharedArchiveFile="$KAFKA_HOME/kafka.jsa" -Xshare:auto)
fi
[ -n "${KAFKA_CDS_DUMP:-}" ] && jvm+=(-XX:ArchiveClassesAtExit="$KAFKA_CDS_DUMP")
if [ ! -f "$dir/data/meta.properties" ]; then
  # a cluster id is a base64url UUID (what StorageTool random-uuid prints), without a JVM start
  [ -f "$dir/cluster.id" ] || python3 -c 'import base64,uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"): print(s); break' >"$dir/cluster.id"
  fmt=(-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData)
  [ -f "$KAFKA_HOME/kafka.jsa" ] && fmt+=(-XX:SharedArchiveFile="$KAFKA_HOME/kafka.jsa" -Xshare:auto)
  java "${fmt[@]}" -Dkafka.root.level=WARN "$(cat "$KAFKA_HOME/log-opt")" -cp "$cp" \
    kafka.tools.StorageTool format -t "$(cat "$dir/cluster.id")" -c "$dir/server.properties" >&2
fi
echo "kafka-server: $KAFKA_VERSION bootstrap=$host:$port controller=$host:$cport dir=$dir" >&2
exec java "${jvm[@]}" -cp "$cp" kafka.Kafka "$dir/server.properties"
EOF
chmod +x "$PEERS_BIN/kafka-server" "$PEERS_BIN/kafka-run-class"

# ---- verify: start, create a topic over the wire, stop cleanly (and dump the CDS archive).
tmp=$(mktemp -d) pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
t0=$(date +%s.%N)
KAFKA_CDS_DUMP="$HOME_DIR/kafka.jsa.tmp" KAFKA_LOG_LEVEL=INFO \
  "$PEERS_BIN/kafka-server" --dir "$tmp/k" >"$tmp/out.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do
  grep -q 'Kafka Server started' "$tmp/out.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/out.log" >&2; log "kafka: broker died"; exit 1; }
  sleep 0.1
done
grep -q 'Kafka Server started' "$tmp/out.log" || { tail -50 "$tmp/out.log" >&2; log "kafka: not ready in 120 s"; exit 1; }
log "kafka: broker ready in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s, RSS $(awk '/VmRSS/{print $2}' /proc/$pid/status) kB"
bs=$(cat "$tmp/k/bootstrap")
"$PEERS_BIN/kafka-run-class" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" \
  --create --topic provision-check --partitions 2 | grep -q 'Created topic provision-check' \
  || { log "kafka: topic check failed"; exit 1; }
kill -TERM "$pid"; wait "$pid" || true
# Keep the class-data-sharing archive (about -1 s CPU per broker start) only if the JVM accepts it:
# a truncated one would crash every start.
if [ -s "$HOME_DIR/kafka.jsa.tmp" ] && java -XX:SharedArchiveFile="$HOME_DIR/kafka.jsa.tmp" -Xshare:on \
     -XX:+VerifySharedSpaces -cp "$(cat "$HOME_DIR/classpath")" -version >/dev/null 2>&1; then
  mv "$HOME_DIR/kafka.jsa.tmp" "$HOME_DIR/kafka.jsa"
else
  rm -f "$HOME_DIR/kafka.jsa.tmp"; log "kafka: no class-data-sharing archive (starts ~1 s slower)"
fi

stamp kafka "$STAMP"
report kafka "$KAFKA_VERSION" "$PEERS_BIN/kafka-server"
