-- Per-minute (30 days) and per-hour (90 days) rollups of flows_raw, filled by
-- materialized views as flows arrive. They keep what the six flow dashboards
-- group by and drop addresses:
--   Top Talkers            sites, AS, countries, exporters (addresses: flows_raw)
--   Traffic Matrix         src_site × dst_site
--   AS Paths               src_as × dst_as (with their names)
--   Protocol Distribution  etype, proto, service_port
--   Geographic             src_country × dst_country
--   Interface Correlation  exporter × in_if_name × out_if_name (with speeds)
-- bytes and packets are estimated traffic: as exported × sampling rate (a rate of
-- 0, "not said", counts as 1); flows counts flow records.
-- service_port is the lower of the two ports: the service side of most conversations.
-- Created before the Kafka consumers (0003) so the rollups see every flow.

CREATE TABLE IF NOT EXISTS helios.flows_1m {{on_cluster}}
(
    time            DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    exporter_site   LowCardinality(String),
    exporter_name   LowCardinality(String),
    exporter_region LowCardinality(String),
    exporter_role   LowCardinality(String),
    in_if_name      LowCardinality(String),
    out_if_name     LowCardinality(String),
    in_if_speed     SimpleAggregateFunction(max, UInt64),
    out_if_speed    SimpleAggregateFunction(max, UInt64),
    src_site        LowCardinality(String),
    dst_site        LowCardinality(String),
    src_as          UInt32,
    dst_as          UInt32,
    src_as_name     SimpleAggregateFunction(anyLast, LowCardinality(String)),
    dst_as_name     SimpleAggregateFunction(anyLast, LowCardinality(String)),
    src_country     LowCardinality(String),
    dst_country     LowCardinality(String),
    etype           UInt16,
    proto           UInt8,
    service_port    UInt16,
    bytes           SimpleAggregateFunction(sum, UInt64),
    packets         SimpleAggregateFunction(sum, UInt64),
    flows           SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{replicated}}AggregatingMergeTree
-- Daily partitions: TTL drops each day whole, at most a day late.
PARTITION BY toDate(time)
-- Time first, as every query ranges over it; then the site and exporter filters.
PRIMARY KEY (time, exporter_site, exporter_name)
ORDER BY (time, exporter_site, exporter_name, in_if_name, out_if_name, src_site, dst_site, src_as, dst_as,
          src_country, dst_country, etype, proto, service_port, exporter_region, exporter_role)
TTL time + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_1m_mv {{on_cluster}} TO helios.flows_1m AS
SELECT
    toStartOfMinute(time_received) AS time,
    exporter_site, exporter_name, exporter_region, exporter_role,
    in_if_name, out_if_name,
    max(in_if_speed) AS in_if_speed,
    max(out_if_speed) AS out_if_speed,
    src_site, dst_site, src_as, dst_as,
    anyLast(src_as_name) AS src_as_name,
    anyLast(dst_as_name) AS dst_as_name,
    src_country, dst_country, etype, proto,
    least(src_port, dst_port) AS service_port,
    sum(bytes * greatest(sampling_rate, 1)) AS bytes,
    sum(packets * greatest(sampling_rate, 1)) AS packets,
    toUInt64(count()) AS flows
FROM helios.flows_raw
GROUP BY time, exporter_site, exporter_name, exporter_region, exporter_role, in_if_name, out_if_name,
         src_site, dst_site, src_as, dst_as, src_country, dst_country, etype, proto, service_port;

CREATE TABLE IF NOT EXISTS helios.flows_1h {{on_cluster}} AS helios.flows_1m
ENGINE = {{replicated}}AggregatingMergeTree
-- Three-day partitions: about 30 of them, each dropped at most three days late.
PARTITION BY toStartOfInterval(time, INTERVAL 3 DAY)
PRIMARY KEY (time, exporter_site, exporter_name)
ORDER BY (time, exporter_site, exporter_name, in_if_name, out_if_name, src_site, dst_site, src_as, dst_as,
          src_country, dst_country, etype, proto, service_port, exporter_region, exporter_role)
TTL time + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_1h_mv {{on_cluster}} TO helios.flows_1h AS
SELECT
    toStartOfHour(time_received) AS time,
    exporter_site, exporter_name, exporter_region, exporter_role,
    in_if_name, out_if_name,
    max(in_if_speed) AS in_if_speed,
    max(out_if_speed) AS out_if_speed,
    src_site, dst_site, src_as, dst_as,
    anyLast(src_as_name) AS src_as_name,
    anyLast(dst_as_name) AS dst_as_name,
    src_country, dst_country, etype, proto,
    least(src_port, dst_port) AS service_port,
    sum(bytes * greatest(sampling_rate, 1)) AS bytes,
    sum(packets * greatest(sampling_rate, 1)) AS packets,
    toUInt64(count()) AS flows
FROM helios.flows_raw
GROUP BY time, exporter_site, exporter_name, exporter_region, exporter_role, in_if_name, out_if_name,
         src_site, dst_site, src_as, dst_as, src_country, dst_country, etype, proto, service_port;

CREATE TABLE IF NOT EXISTS helios.flows_1m_all {{on_cluster}} AS helios.flows_1m
ENGINE = {{distributed:flows_1m}};

CREATE TABLE IF NOT EXISTS helios.flows_1h_all {{on_cluster}} AS helios.flows_1h
ENGINE = {{distributed:flows_1h}};
