import { loadConfig } from '../../src/controller/config.js';
import { parameterProblem, runbookProblem, runbookStatus, runbookStatusChanged } from '../../src/controller/runbook.js';
import { runbook } from './fixtures.js';

describe('runbook readiness', () => {
  test.each([
    [{ steps: [] }, /spec.steps: a runbook needs at least one step/],
    [{ steps: [{ name: 'a', notify: { message: '{{ params.nope }}' } }] }, /spec.steps\[0\].notify.message: .*params.nope/],
    [{ approvalRequired: true }, /spec.approvers: approvalRequired is true but no approver group/],
  ])('%j is not ready: %s', (spec, problem) => {
    expect(runbookProblem(runbook('rb', spec as never))).toMatch(problem);
  });

  test('parameters are parsed as the executor will: declared, required ones set, typed', () => {
    const rb = runbook('rb', { parameters: [{ name: 'interface', type: 'string' }, { name: 'waitSeconds', type: 'integer', default: '5' }] });
    expect(parameterProblem(rb, { interface: 'Ethernet1' })).toBeUndefined();
    expect(parameterProblem(rb, {})).toMatch(/spec.parameters.interface: required/);
    expect(parameterProblem(rb, { interface: 'x', colour: 'red' })).toMatch(/spec.parameters.colour: not a parameter of this runbook \(allowed: interface, waitSeconds\)/);
    expect(parameterProblem(rb, { interface: 'x', waitSeconds: 'soon' })).toMatch(/spec.parameters.waitSeconds: "soon"/);
  });

  test('the Ready condition keeps its transition time while its status holds', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const rb = runbook('rb');
    const ready = runbookStatus(rb, undefined, t1);
    expect(ready.conditions).toEqual([{ type: 'Ready', status: 'True', reason: 'Valid', message: 'the runbook is valid', lastTransitionTime: t1.toISOString(), observedGeneration: 1 }]);
    const withStatus = { ...rb, status: ready };
    const again = runbookStatus(withStatus, undefined, new Date('2026-01-02T00:00:00Z'));
    expect(runbookStatusChanged(withStatus, again)).toBe(false);
    const broken = runbookStatus(withStatus, 'spec.steps: empty', new Date('2026-01-02T00:00:00Z'));
    expect(runbookStatusChanged(withStatus, broken)).toBe(true);
    expect(broken.conditions![0]).toMatchObject({ status: 'False', reason: 'Invalid', message: 'spec.steps: empty', lastTransitionTime: '2026-01-02T00:00:00.000Z' });
  });
});

describe('operator configuration', () => {
  test('defaults', () => {
    const c = loadConfig({ HELIOS_EXECUTOR_IMAGE: 'img:1', POD_NAME: 'op-0' });
    expect(c).toMatchObject({ namespace: 'helios-automation', identity: 'op-0', job: { image: 'img:1', gnmiTls: 'tls' }, metricsPort: 8080, webhookPort: 8443, resyncMs: 300_000, lease: { durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } });
  });

  test('every bad value is named with what is allowed', () => {
    const bad = (): unknown => loadConfig({ HELIOS_GNMI_TLS: 'maybe', METRICS_PORT: 'x', LEASE_DURATION_SECONDS: '5', LEASE_RENEW_DEADLINE_SECONDS: '6' });
    expect(bad).toThrow(/HELIOS_EXECUTOR_IMAGE: not set/);
    expect(bad).toThrow(/HELIOS_GNMI_TLS: "maybe" is not one of tls, skip-verify, plaintext/);
    expect(bad).toThrow(/METRICS_PORT: "x" is not a number from 0 to 65535/);
    expect(bad).toThrow(/LEASE_RENEW_DEADLINE_SECONDS: 6 must be less than LEASE_DURATION_SECONDS \(5\)/);
  });
});
