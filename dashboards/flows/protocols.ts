import {
  bitsPerSecondSql, EXPORTER_FILTER, flowDashboard, piePanel, PROTOCOL_NAME, tablePanel, timeSeriesPanel,
  TOP_N, topSql,
} from './shared.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { flowTotals, rawFlows } from '../shared/clickhouse.js';
import { DashboardUid } from '../shared/links.js';
import { Unit } from '../shared/units.js';

/** TCP flags are in flows_raw only: the panel shows the last hour, as Top Talkers' address panels do. */
const FLAGS_WINDOW = '1h';

/** The TCP flags set in a flow (the OR of its packets' flags), named, such as "SYN ACK". */
const TCP_FLAG_NAMES = "arrayStringConcat(arrayFilter((name, bit) -> bitTest(tcp_flags, bit), ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'], range(8)), ' ')";

export function protocolsDashboard(): DashboardModel {
  return flowDashboard({
    uid: DashboardUid.FLOW_PROTOCOLS,
    title: 'Flows / Protocol Distribution',
    description: 'What the traffic is made of: IP protocols by bytes and packets, IPv4 against IPv6, top service ports and TCP flags.',
    panels: [
      timeSeriesPanel('Traffic by protocol', 'Estimated bits per second by IP protocol.',
        bitsPerSecondSql(PROTOCOL_NAME, ['proto'], EXPORTER_FILTER)).height(8).span(24),
      piePanel('Bytes by protocol', 'Share of bytes by IP protocol over the range.',
        `SELECT ${PROTOCOL_NAME} AS protocol, sum(bytes) AS bytes FROM ${flowTotals(['proto', 'bytes'], EXPORTER_FILTER)}`
      + ' GROUP BY protocol ORDER BY bytes DESC, protocol', Unit.BYTES).height(8).span(8),
      piePanel('Packets by protocol', 'Share of packets by IP protocol over the range.',
        `SELECT ${PROTOCOL_NAME} AS protocol, sum(packets) AS packets FROM ${flowTotals(['proto', 'packets'], EXPORTER_FILTER)}`
      + ' GROUP BY protocol ORDER BY packets DESC, protocol', Unit.COUNT).height(8).span(8),
      piePanel('IPv4 and IPv6', 'Share of bytes by IP version.',
        'SELECT multiIf(etype = 2048, \'IPv4\', etype = 34525, \'IPv6\', concat(\'EtherType 0x\', hex(etype))) AS ip_version, sum(bytes) AS bytes'
      + ` FROM ${flowTotals(['etype', 'bytes'], EXPORTER_FILTER)} GROUP BY ip_version ORDER BY bytes DESC, ip_version`, Unit.BYTES)
        .height(8).span(8),
      tablePanel('Top service ports', 'The lower port of each flow (the service side of most conversations) by bytes, with its protocol.',
        topSql([`${PROTOCOL_NAME} AS protocol`, 'service_port'], ['proto', 'service_port'], `proto IN (6, 17, 132) AND ${EXPORTER_FILTER}`))
        .height(10).span(12),
      tablePanel('TCP flags', 'TCP flows of the last hour by the flags they carried (flows_raw): many SYN-only flows are scans or unanswered connections.',
        'SELECT flags, sum(bytes) AS bytes, sum(packets) AS packets, count() AS flows'
      + ` FROM ${rawFlows([`${TCP_FLAG_NAMES} AS flags`], `proto = 6 AND ${EXPORTER_FILTER}`)}`
      + ` GROUP BY flags ORDER BY flows DESC, flags LIMIT ${TOP_N}`).timeFrom(FLAGS_WINDOW).height(10).span(12),
    ],
  });
}
