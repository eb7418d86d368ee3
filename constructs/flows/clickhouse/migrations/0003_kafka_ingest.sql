-- Ingest: every ClickHouse node consumes helios-flows-enriched in one consumer
-- group, so Kafka shares the topic's partitions among all nodes' consumers; each
-- shard stores what its consumers read, and Keeper copies it to the shard's
-- replicas. Each Kafka message holds many length-delimited EnrichedFlow messages
-- (constructs/flows/proto/enriched_flow.proto), which format Protobuf reads;
-- columns match the message's fields by name.
--
-- Offsets are committed only after a block reached flows_raw: when an insert
-- fails (a full disk rejects inserts, see constructs/flows/README.md), the flows
-- wait in Kafka (retention: the topic's) and are read again.
-- A message that does not parse goes to flows_kafka_errors instead of stopping
-- the consumer (kafka_handle_error_mode = 'stream').

CREATE TABLE IF NOT EXISTS helios.flows_kafka_errors {{on_cluster}}
(
    time        DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    topic       LowCardinality(String),
    partition   UInt64,
    offset      UInt64,
    error       String,
    raw_message String CODEC(ZSTD(3))
)
ENGINE = {{replicated}}MergeTree
PARTITION BY toDate(time)
ORDER BY (time, topic, partition, offset)
TTL time + INTERVAL 7 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS helios.flows_kafka {{on_cluster}}
(
    time_received_ns   UInt64,
    time_flow_start_ns UInt64,
    time_flow_end_ns   UInt64,
    flow_type          String,
    sampling_rate      UInt64,
    bytes              UInt64,
    packets            UInt64,
    exporter_address   IPv6,
    exporter_name      String,
    exporter_site      String,
    exporter_region    String,
    exporter_role      String,
    exporter_tenant    String,
    exporter_platform  String,
    exporter_vendor    String,
    exporter_tier      String,
    in_if_index        UInt32,
    in_if_name         String,
    in_if_speed        UInt64,
    out_if_index       UInt32,
    out_if_name        String,
    out_if_speed       UInt64,
    src_addr           IPv6,
    dst_addr           IPv6,
    src_prefix_len     UInt8,
    dst_prefix_len     UInt8,
    etype              UInt16,
    proto              UInt8,
    src_port           UInt16,
    dst_port           UInt16,
    tcp_flags          UInt16,
    ip_tos             UInt8,
    next_hop           IPv6,
    src_site           String,
    dst_site           String,
    src_as             UInt32,
    src_as_name        String,
    src_country        String,
    src_city           String,
    dst_as             UInt32,
    dst_as_name        String,
    dst_country        String,
    dst_city           String
)
ENGINE = Kafka
SETTINGS
    kafka_broker_list = '{{kafka_brokers}}',
    kafka_topic_list = '{{kafka_topic}}',
    kafka_group_name = '{{kafka_group}}',
    kafka_format = 'Protobuf',
    -- enriched_flow.proto:EnrichedFlow, under the server's format_schema_path.
    kafka_schema = '{{kafka_schema}}',
    -- Per node; all nodes' consumers together at most the topic's partitions.
    kafka_num_consumers = {{kafka_consumers}},
    -- Each consumer flushes its own blocks, so consumers insert in parallel.
    kafka_thread_per_consumer = 1,
    kafka_handle_error_mode = 'stream';

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_kafka_errors_mv {{on_cluster}} TO helios.flows_kafka_errors AS
SELECT now() AS time, _topic AS topic, _partition AS partition, _offset AS offset, _error AS error, _raw_message AS raw_message
FROM helios.flows_kafka
WHERE length(_error) > 0;

-- Last: attaching this view starts the consumers.
CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_raw_mv {{on_cluster}} TO helios.flows_raw AS
SELECT
    toDateTime(intDiv(time_received_ns, 1000000000), 'UTC') AS time_received,
    fromUnixTimestamp64Milli(toInt64(intDiv(time_flow_start_ns, 1000000)), 'UTC') AS time_flow_start,
    fromUnixTimestamp64Milli(toInt64(intDiv(time_flow_end_ns, 1000000)), 'UTC') AS time_flow_end,
    flow_type, sampling_rate, bytes, packets,
    exporter_address, exporter_name, exporter_site, exporter_region, exporter_role,
    exporter_tenant, exporter_platform, exporter_vendor, exporter_tier,
    in_if_index, in_if_name, in_if_speed, out_if_index, out_if_name, out_if_speed,
    src_addr, dst_addr, src_prefix_len, dst_prefix_len, etype, proto, src_port, dst_port,
    tcp_flags, ip_tos, next_hop,
    src_site, dst_site, src_as, src_as_name, src_country, src_city,
    dst_as, dst_as_name, dst_country, dst_city
FROM helios.flows_kafka
WHERE length(_error) = 0;
