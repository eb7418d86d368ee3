-- The flow store: every enriched flow, kept 7 days.
--
-- Templates rendered by `flow-enricher migrate` (services/flow-enricher/src/migrate):
-- {{on_cluster}} runs a statement on every ClickHouse node, {{replicated}} makes an
-- engine replicated through Keeper, {{distributed:t}} reads t on every shard. On a
-- single server without Keeper (chdb in the tests) they render as plain engines.
-- Every statement is safe to run twice: a migration cut short is run again whole.

CREATE DATABASE IF NOT EXISTS helios {{on_cluster}};

CREATE TABLE IF NOT EXISTS helios.flows_raw {{on_cluster}}
(
    -- When goflow2 received the flow; the flow's own start and end.
    time_received     DateTime('UTC')      CODEC(DoubleDelta, ZSTD(1)),
    time_flow_start   DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    time_flow_end     DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    flow_type         LowCardinality(String),
    -- As exported: 1 in sampling_rate packets was sampled (0 when the exporter did not say).
    sampling_rate     UInt64 CODEC(T64, LZ4),
    bytes             UInt64 CODEC(T64, LZ4),
    packets           UInt64 CODEC(T64, LZ4),

    -- The exporter and its NetBox device.
    exporter_address  IPv6 CODEC(ZSTD(1)),
    exporter_name     LowCardinality(String),
    exporter_site     LowCardinality(String),
    exporter_region   LowCardinality(String),
    exporter_role     LowCardinality(String),
    exporter_tenant   LowCardinality(String),
    exporter_platform LowCardinality(String),
    exporter_vendor   LowCardinality(String),
    exporter_tier     LowCardinality(String),

    -- Interfaces on the exporter: SNMP index, NetBox name, speed in bit/s.
    in_if_index       UInt32 CODEC(T64, LZ4),
    in_if_name        LowCardinality(String),
    in_if_speed       UInt64 CODEC(T64, LZ4),
    out_if_index      UInt32 CODEC(T64, LZ4),
    out_if_name       LowCardinality(String),
    out_if_speed      UInt64 CODEC(T64, LZ4),

    -- Layers 3 and 4; IPv4 addresses are stored as ::ffff:a.b.c.d.
    src_addr          IPv6 CODEC(ZSTD(1)),
    dst_addr          IPv6 CODEC(ZSTD(1)),
    src_prefix_len    UInt8,
    dst_prefix_len    UInt8,
    etype             UInt16,
    proto             UInt8,
    src_port          UInt16 CODEC(T64, LZ4),
    dst_port          UInt16 CODEC(T64, LZ4),
    tcp_flags         UInt16,
    ip_tos            UInt8,
    next_hop          IPv6 CODEC(ZSTD(1)),

    -- Where the addresses are: the NetBox sites of their prefixes, and GeoIP.
    src_site          LowCardinality(String),
    dst_site          LowCardinality(String),
    src_as            UInt32,
    src_as_name       LowCardinality(String),
    src_country       LowCardinality(String),
    src_city          LowCardinality(String),
    dst_as            UInt32,
    dst_as_name       LowCardinality(String),
    dst_country       LowCardinality(String),
    dst_city          LowCardinality(String)
)
ENGINE = {{replicated}}MergeTree
-- Six-hour partitions: TTL drops a partition's parts whole (ttl_only_drop_parts)
-- at most six hours after its newest flow turned 7 days old, with ~30 partitions.
PARTITION BY toStartOfInterval(time_received, INTERVAL 6 HOUR)
-- Every flow dashboard asks for a time range first and then narrows to sites,
-- exporters and their interfaces (Interface Correlation, per-exporter drill-downs):
-- five-minute buckets lead so a range skips all other granules; within a bucket
-- one exporter's interfaces lie together, low cardinality before high.
PRIMARY KEY (toStartOfFiveMinutes(time_received), exporter_site, exporter_name)
ORDER BY (toStartOfFiveMinutes(time_received), exporter_site, exporter_name, in_if_name, out_if_name, time_received)
TTL time_received + INTERVAL 7 DAY
SETTINGS ttl_only_drop_parts = 1;

-- flows_raw of every shard, for dashboards.
CREATE TABLE IF NOT EXISTS helios.flows_raw_all {{on_cluster}} AS helios.flows_raw
ENGINE = {{distributed:flows_raw}};
