import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import {
  bitsPerSecondSql, flowDashboard, interfaceVariables, orUnknown, PROTOCOL_NAME, tablePanel, timeSeriesPanel, topSql,
} from './shared.js';
import { INTERFACE_RECORDS } from '../../constructs/metrics/device-alerts.js';
import type { DashboardModel } from '../../constructs/metrics/grafana.js';
import { metricsDatasourceVariable } from '../shared/datasources.js';
import { DashboardUid } from '../shared/links.js';
import { timeSeries } from '../shared/panels.js';
import { Unit } from '../shared/units.js';
import { DEVICE_VARIABLE, INTERFACE_VARIABLE, selector } from '../shared/variables.js';

/** The chosen device and interface, in SQL: flows the exporter saw entering or leaving by it. */
const DEVICE = `\${${DEVICE_VARIABLE}:singlequote}`;
const INTERFACE = `\${${INTERFACE_VARIABLE}:singlequote}`;
const THROUGH_INTERFACE = `exporter_name = ${DEVICE} AND (in_if_name = ${INTERFACE} OR out_if_name = ${INTERFACE})`;
/** Inbound: the flow entered the device by the interface; outbound: it left by it (a flow can be both). */
const DIRECTION = `arrayJoin(arrayFilter(d -> d != '', [if(in_if_name = ${INTERFACE}, 'in', ''), if(out_if_name = ${INTERFACE}, 'out', '')]))`;

/** The interface's counters (SNMP or gNMI, whichever collects it), as the network dashboards read them. */
const counters = (record: string) => selector(record, [`${DEVICE_VARIABLE}="$${DEVICE_VARIABLE}"`, `${INTERFACE_VARIABLE}="$${INTERFACE_VARIABLE}"`]);

/** Back to the network side: the same interface on Interface Analytics, same time range. */
function interfaceAnalyticsLink(): DashboardLinkBuilder {
  return new DashboardLinkBuilder(`Interface $${INTERFACE_VARIABLE} of $${DEVICE_VARIABLE} (Interface Analytics)`)
    .type(DashboardLinkType.Link)
    // `${v:queryparam}` is Grafana's `var-v=value`, escaped for a URL.
    .url(`/d/${DashboardUid.INTERFACE_ANALYTICS}?\${${DEVICE_VARIABLE}:queryparam}&\${${INTERFACE_VARIABLE}:queryparam}&\${__url_time_range}`);
}

export function interfaceCorrelationDashboard(): DashboardModel {
  const back = interfaceAnalyticsLink();
  return flowDashboard({
    uid: DashboardUid.FLOW_INTERFACE_CORRELATION,
    title: 'Flows / Interface Correlation',
    description: 'For one interface, its counters (Thanos) beside the flows through it (ClickHouse): what makes up its traffic, and whether the flows account for it.',
    variables: [metricsDatasourceVariable(), ...interfaceVariables()],
    panels: [
      timeSeries({
        title: 'Interface traffic (counters)',
        description: 'Bits per second in and out of the interface from its counters (SNMP IF-MIB or gNMI), 5-minute rate.',
        unit: Unit.BITS_PER_SECOND,
        queries: [{ expr: counters(INTERFACE_RECORDS.inBits), legend: 'in' }, { expr: counters(INTERFACE_RECORDS.outBits), legend: 'out' }],
        width: 12,
        height: 9,
        min: 0,
      }).links([back]),
      timeSeriesPanel('Interface traffic (flows)', 'Estimated bits per second of the flows the device exported for the interface, in and out: beside the counters, the share of traffic the flows account for.',
        bitsPerSecondSql(DIRECTION, ['exporter_name', 'in_if_name', 'out_if_name'], THROUGH_INTERFACE), { stacked: false }).height(9).span(12)
        .links([back]),
      tablePanel('Top sources through the interface', 'Source site and AS of the flows through the interface, by bytes.',
        topSql([`${orUnknown('src_site', 'outside')} AS source_site`, 'src_as AS source_as'], ['src_site', 'src_as', 'exporter_name', 'in_if_name', 'out_if_name'],
          THROUGH_INTERFACE, 'src_as')).height(10).span(12),
      tablePanel('Top destinations through the interface', 'Destination site and AS of the flows through the interface, by bytes.',
        topSql([`${orUnknown('dst_site', 'outside')} AS destination_site`, 'dst_as AS destination_as'], ['dst_site', 'dst_as', 'exporter_name', 'in_if_name', 'out_if_name'],
          THROUGH_INTERFACE, 'dst_as')).height(10).span(12),
      tablePanel('Protocols and ports through the interface', 'IP protocol and service port of the flows through the interface, by bytes.',
        topSql([`${PROTOCOL_NAME} AS protocol`, 'service_port'], ['proto', 'service_port', 'exporter_name', 'in_if_name', 'out_if_name'], THROUGH_INTERFACE))
        .height(10).span(24),
    ],
  });
}
