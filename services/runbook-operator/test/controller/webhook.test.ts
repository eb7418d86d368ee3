import { ALERT_KEY_LABEL, parsePayload, planExecutions, sameSecret } from '../../src/webhook.js';

const SA = 'system:serviceaccount:helios-automation:helios-runbook-operator';
const params = (rb: string): string[] | undefined => (rb === 'interface-bounce' ? ['interface', 'waitSeconds'] : undefined);

describe('alerts to executions', () => {
  const alert = (labels: Record<string, string>, status = 'firing', fingerprint = 'f00d'): unknown => ({ status, labels, fingerprint });

  test('a firing alert with a runbook label targets its device with the labels the runbook takes as parameters', () => {
    const { planned, skipped } = planExecutions(parsePayload({ alerts: [alert({ alertname: 'InterfaceFlapping', runbook: 'interface-bounce', device: 'leaf1', interface: 'Ethernet1', severity: 'warning' })] }), 'helios-automation', SA, params);
    expect(skipped).toEqual([]);
    expect(planned).toHaveLength(1);
    expect(planned[0].execution.spec).toEqual({
      runbookRef: { name: 'interface-bounce' }, target: { device: 'leaf1' }, parameters: { interface: 'Ethernet1' },
      requestedBy: SA, triggerSource: 'alertmanager', triggeredBy: 'InterfaceFlapping f00d',
    });
    expect(planned[0].execution.metadata.labels[ALERT_KEY_LABEL]).toBe(planned[0].alertKey);
    expect(planned[0].namePrefix).toMatch(/^interface-bounce-alert-[0-9a-f]{10}$/);
  });

  test('the same alert and device give the same key; another device or alert another', () => {
    const plan = (labels: Record<string, string>, fp = 'f00d'): string => planExecutions(parsePayload({ alerts: [alert(labels, 'firing', fp)] }), 'ns', SA, params).planned[0].alertKey;
    const base = { alertname: 'A', runbook: 'interface-bounce', device: 'leaf1' };
    expect(plan(base)).toBe(plan({ ...base }));
    expect(plan({ ...base, device: 'leaf2' })).not.toBe(plan(base));
    expect(plan(base, 'beef')).not.toBe(plan(base));
  });

  test('resolved alerts, alerts without a runbook, and alerts without a device start nothing', () => {
    const { planned, skipped } = planExecutions(parsePayload({
      alerts: [
        alert({ alertname: 'A', runbook: 'interface-bounce', device: 'leaf1' }, 'resolved'),
        alert({ alertname: 'B', device: 'leaf1' }),
        alert({ alertname: 'C', runbook: 'interface-bounce' }),
        alert({ alertname: 'D', runbook: 'Not_A_Name', device: 'leaf1' }),
      ],
    }), 'ns', SA, params);
    expect(planned).toEqual([]);
    expect(skipped).toEqual([
      { alert: 'C', why: 'the alert has no `device` label to target' },
      { alert: 'D', why: 'label runbook: "Not_A_Name" is not a runbook name (a DNS label)' },
    ]);
  });

  test.each([
    [[], /body: expected an Alertmanager webhook object/],
    [{}, /alerts: expected a list, got nothing/],
    [{ alerts: [1] }, /alerts\[0\]: expected an object/],
    [{ alerts: [{ labels: { a: 1 } }] }, /alerts\[0\].labels: expected a map of strings/],
  ])('a bad body %j is refused naming the field', (body, message) => {
    expect(() => parsePayload(body)).toThrow(message);
  });

  test('the token comparison accepts only the exact token', () => {
    expect(sameSecret('s3cret', 's3cret')).toBe(true);
    expect(sameSecret('s3cre', 's3cret')).toBe(false);
    expect(sameSecret('', '')).toBe(false);
  });
});
