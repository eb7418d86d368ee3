-- Per-minute traffic between sites (30 days): flows_1m without the addresses' AS,
-- countries and ports and the exporters' interfaces, so a minute holds a few site
-- pairs per exporter instead of every AS pair. The dashboards read it instead of
-- flows_1m whenever a query needs none of the columns it drops (site-to-site
-- traffic, protocols per path, traffic by source site or protocol, transit); at
-- Large-tier volume a day of it is a fifth of flows_1m's rows
-- (dashboards/shared/clickhouse.ts, npm run bench:dashboards).
-- bytes, packets and flows are counted as in flows_1m (0002).
--
-- Created after the Kafka consumers (0003): flows already stored, or stored while
-- this runs, reach the new table only through the backfill from flows_1m below. So
-- the consumers stop first (the Kafka engine table detached: its shutdown waits for
-- the block being inserted, and the flows wait in Kafka), the table is filled from
-- flows_1m, and the consumers start again from their committed offsets. Safe to run
-- again whole: the table is emptied before the backfill, while nothing writes to it.

CREATE TABLE IF NOT EXISTS helios.flows_1m_sites {{on_cluster}}
(
    time          DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    exporter_site LowCardinality(String),
    exporter_name LowCardinality(String),
    src_site      LowCardinality(String),
    dst_site      LowCardinality(String),
    proto         UInt8,
    bytes         SimpleAggregateFunction(sum, UInt64),
    packets       SimpleAggregateFunction(sum, UInt64),
    flows         SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{replicated}}AggregatingMergeTree
PARTITION BY toDate(time)
PRIMARY KEY (time, exporter_site, exporter_name)
ORDER BY (time, exporter_site, exporter_name, src_site, dst_site, proto)
TTL time + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS helios.flows_1m_sites_all {{on_cluster}} AS helios.flows_1m_sites
ENGINE = {{distributed:flows_1m_sites}};

DETACH TABLE IF EXISTS helios.flows_kafka {{on_cluster}};

CREATE MATERIALIZED VIEW IF NOT EXISTS helios.flows_1m_sites_mv {{on_cluster}} TO helios.flows_1m_sites AS
SELECT
    toStartOfMinute(time_received) AS time,
    exporter_site, exporter_name, src_site, dst_site, proto,
    sum(bytes * greatest(sampling_rate, 1)) AS bytes,
    sum(packets * greatest(sampling_rate, 1)) AS packets,
    toUInt64(count()) AS flows
FROM helios.flows_raw
GROUP BY time, exporter_site, exporter_name, src_site, dst_site, proto;

-- Every shard's flows_1m into the shard this runs on: readers sum over all shards.
-- Streamed without GROUP BY (30 days of keys would not fit in memory): each inserted
-- block is summed per key, and background merges sum the rest.
TRUNCATE TABLE IF EXISTS helios.flows_1m_sites {{on_cluster}};
INSERT INTO helios.flows_1m_sites
SELECT time, exporter_site, exporter_name, src_site, dst_site, proto, bytes, packets, flows
FROM helios.flows_1m_all;

ATTACH TABLE IF NOT EXISTS helios.flows_kafka {{on_cluster}};
