import {
  bitsPerSecondSql, EXPORTER_FILTER, flowDashboard, orUnknown, PROTOCOL_NAME, tablePanel, timeSeriesPanel, TOP_N, topSql,
} from './shared.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { rawFlows } from '../shared/clickhouse.js';
import { DashboardUid } from '../shared/links.js';

/**
 * Addresses are kept in flows_raw only, which holds every flow: these panels always
 * show the last hour, whatever the dashboard's range (Grafana marks them "Last 1 hour"),
 * so a week-long range does not scan a week of raw flows.
 */
const ADDRESS_WINDOW = '1h';

/** An address as engineers write it: IPv4 (stored as ::ffff:a.b.c.d) as a.b.c.d. */
const address = (column: string): string => `replaceRegexpOne(toString(${column}), '^::ffff:', '')`;

/** Top addresses by estimated bytes. */
function addressSql(column: 'src_addr' | 'dst_addr'): string {
  return 'SELECT address, sum(bytes) AS bytes, sum(packets) AS packets, count() AS flows'
    + ` FROM ${rawFlows([`${address(column)} AS address`], EXPORTER_FILTER)}`
    + ` GROUP BY address ORDER BY bytes DESC, address LIMIT ${TOP_N}`;
}

const CONVERSATIONS = `SELECT ${address('src_addr')} AS source, ${address('dst_addr')} AS destination, ${PROTOCOL_NAME} AS protocol, service_port,`
  + ' sum(bytes) AS bytes, sum(packets) AS packets, count() AS flows'
  + ` FROM ${rawFlows(['src_addr', 'dst_addr', 'proto', 'least(src_port, dst_port) AS service_port'], EXPORTER_FILTER)}`
  + ` GROUP BY source, destination, protocol, service_port ORDER BY bytes DESC, source, destination, protocol, service_port LIMIT ${TOP_N}`;

export function topTalkersDashboard(): DashboardModel {
  return flowDashboard({
    uid: DashboardUid.FLOW_TOP_TALKERS,
    title: 'Flows / Top Talkers',
    description: 'Who sends and receives the most traffic: sites, addresses, conversations, protocols, AS and exporters.',
    panels: [
      timeSeriesPanel('Traffic by source site', 'Estimated bits per second (exported × sampling rate) by the NetBox site of the source address.',
        bitsPerSecondSql(orUnknown('src_site', 'outside'), ['src_site'], EXPORTER_FILTER)).height(8).span(24),
      tablePanel('Top source addresses', 'Addresses sending the most bytes in the last hour (flows_raw).', addressSql('src_addr'))
        .timeFrom(ADDRESS_WINDOW).height(10).span(12),
      tablePanel('Top destination addresses', 'Addresses receiving the most bytes in the last hour (flows_raw).', addressSql('dst_addr'))
        .timeFrom(ADDRESS_WINDOW).height(10).span(12),
      tablePanel('Top conversations', 'Source and destination address, protocol and service port with the most bytes in the last hour (flows_raw).',
        CONVERSATIONS).timeFrom(ADDRESS_WINDOW).height(10).span(24),
      tablePanel('Top protocols by traffic', 'IP protocols by bytes over the range.',
        topSql([`${PROTOCOL_NAME} AS protocol`], ['proto'], EXPORTER_FILTER)).height(8).span(8),
      tablePanel('Top source AS', 'Autonomous systems sending the most bytes (GeoIP AS of the source address; 0: none known).',
        topSql(['src_as AS source_as'], ['src_as'], EXPORTER_FILTER, 'src_as')).height(8).span(8),
      tablePanel('Top exporters', 'Exporters (NetBox devices) that saw the most bytes.',
        topSql([`${orUnknown('exporter_name', 'not in NetBox')} AS exporter`, `${orUnknown('exporter_site', 'unknown')} AS site`],
          ['exporter_name', 'exporter_site'], EXPORTER_FILTER)).height(8).span(8),
    ],
  });
}
