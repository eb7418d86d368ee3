-- Source and destination NetBox enrichment: for both addresses of a flow, the
-- device interface the address is assigned to (device name, role, tenant, site,
-- interface name) and the most specific prefix holding it (tenant, role, VLAN ID;
-- its site was already src_site/dst_site). enriched_flow.proto fields 60-77.
--
-- The Kafka engine table cannot be altered, so the ingest is rebuilt around the
-- widened flows_raw: the views go first (which stops the consumers: flows wait in
-- Kafka, the consumer group keeps its offsets), the Kafka table is created again
-- with the new columns, and the views are attached again, flows_raw_mv last.
-- Safe to run twice: every DROP and ADD is IF [NOT] EXISTS.

DROP VIEW IF EXISTS helios.flows_raw_mv {{on_cluster}} SYNC;
DROP VIEW IF EXISTS helios.flows_kafka_errors_mv {{on_cluster}} SYNC;
DROP TABLE IF EXISTS helios.flows_kafka {{on_cluster}} SYNC;

ALTER TABLE helios.flows_raw {{on_cluster}}
    ADD COLUMN IF NOT EXISTS src_device        LowCardinality(String) AFTER dst_city,
    ADD COLUMN IF NOT EXISTS src_device_role   LowCardinality(String) AFTER src_device,
    ADD COLUMN IF NOT EXISTS src_device_tenant LowCardinality(String) AFTER src_device_role,
    ADD COLUMN IF NOT EXISTS src_device_site   LowCardinality(String) AFTER src_device_tenant,
    ADD COLUMN IF NOT EXISTS src_interface     LowCardinality(String) AFTER src_device_site,
    ADD COLUMN IF NOT EXISTS src_prefix_tenant LowCardinality(String) AFTER src_interface,
    ADD COLUMN IF NOT EXISTS src_prefix_role   LowCardinality(String) AFTER src_prefix_tenant,
    ADD COLUMN IF NOT EXISTS src_vlan          UInt16 AFTER src_prefix_role,
    ADD COLUMN IF NOT EXISTS dst_device        LowCardinality(String) AFTER src_vlan,
    ADD COLUMN IF NOT EXISTS dst_device_role   LowCardinality(String) AFTER dst_device,
    ADD COLUMN IF NOT EXISTS dst_device_tenant LowCardinality(String) AFTER dst_device_role,
    ADD COLUMN IF NOT EXISTS dst_device_site   LowCardinality(String) AFTER dst_device_tenant,
    ADD COLUMN IF NOT EXISTS dst_interface     LowCardinality(String) AFTER dst_device_site,
    ADD COLUMN IF NOT EXISTS dst_prefix_tenant LowCardinality(String) AFTER dst_interface,
    ADD COLUMN IF NOT EXISTS dst_prefix_role   LowCardinality(String) AFTER dst_prefix_tenant,
    ADD COLUMN IF NOT EXISTS dst_vlan          UInt16 AFTER dst_prefix_role;

ALTER TABLE helios.flows_raw_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS src_device        LowCardinality(String) AFTER dst_city,
    ADD COLUMN IF NOT EXISTS src_device_role   LowCardinality(String) AFTER src_device,
    ADD COLUMN IF NOT EXISTS src_device_tenant LowCardinality(String) AFTER src_device_role,
    ADD COLUMN IF NOT EXISTS src_device_site   LowCardinality(String) AFTER src_device_tenant,
    ADD COLUMN IF NOT EXISTS src_interface     LowCardinality(String) AFTER src_device_site,
    ADD COLUMN IF NOT EXISTS src_prefix_tenant LowCardinality(String) AFTER src_interface,
    ADD COLUMN IF NOT EXISTS src_prefix_role   LowCardinality(String) AFTER src_prefix_tenant,
    ADD COLUMN IF NOT EXISTS src_vlan          UInt16 AFTER src_prefix_role,
    ADD COLUMN IF NOT EXISTS dst_device        LowCardinality(String) AFTER src_vlan,
    ADD COLUMN IF NOT EXISTS dst_device_role   LowCardinality(String) AFTER dst_device,
    ADD COLUMN IF NOT EXISTS dst_device_tenant LowCardinality(String) AFTER dst_device_role,
    ADD COLUMN IF NOT EXISTS dst_device_site   LowCardinality(String) AFTER dst_device_tenant,
    ADD COLUMN IF NOT EXISTS dst_interface     LowCardinality(String) AFTER dst_device_site,
    ADD COLUMN IF NOT EXISTS dst_prefix_tenant LowCardinality(String) AFTER dst_interface,
    ADD COLUMN IF NOT EXISTS dst_prefix_role   LowCardinality(String) AFTER dst_prefix_tenant,
    ADD COLUMN IF NOT EXISTS dst_vlan          UInt16 AFTER dst_prefix_role;

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
    dst_city           String,
    src_device         String,
    src_device_role    String,
    src_device_tenant  String,
    src_device_site    String,
    src_interface      String,
    src_prefix_tenant  String,
    src_prefix_role    String,
    src_vlan           UInt16,
    dst_device         String,
    dst_device_role    String,
    dst_device_tenant  String,
    dst_device_site    String,
    dst_interface      String,
    dst_prefix_tenant  String,
    dst_prefix_role    String,
    dst_vlan           UInt16
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
    dst_as, dst_as_name, dst_country, dst_city,
    src_device, src_device_role, src_device_tenant, src_device_site, src_interface, src_prefix_tenant, src_prefix_role, src_vlan,
    dst_device, dst_device_role, dst_device_tenant, dst_device_site, dst_interface, dst_prefix_tenant, dst_prefix_role, dst_vlan
FROM helios.flows_kafka
WHERE length(_error) = 0;
