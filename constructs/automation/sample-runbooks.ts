import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { RUNBOOK_API_VERSION } from './runbook-crds.js';
import { HeliosNamespace } from '../platform/namespaces.js';
import type { ComponentIdentity, PlatformBase } from '../platform/platform-base.js';

/** The repository's sample runbooks: `kubectl apply -f runbooks/` applies them as they are. */
export const SAMPLE_RUNBOOKS_DIR = fileURLToPath(new URL('../../runbooks/', import.meta.url));

const OWNER: ComponentIdentity = { name: 'helios-sample-runbooks', component: 'automation' };

/** A sample Runbook as its file holds it. */
export interface SampleRunbook {
  readonly file: string;
  readonly manifest: {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
    readonly spec: { readonly approvers?: readonly string[]; readonly [key: string]: unknown };
  };
}

/** Every runbooks/*.yaml, by file name; each must be one Runbook in helios-automation. */
export function sampleRunbooks(dir: string = SAMPLE_RUNBOOKS_DIR): SampleRunbook[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((file) => {
    const manifest = parse(readFileSync(`${dir}${dir.endsWith('/') ? '' : '/'}${file}`, 'utf8'));
    if (manifest?.apiVersion !== RUNBOOK_API_VERSION || manifest?.kind !== 'Runbook') {
      throw new Error(`runbooks/${file}: not a Runbook (apiVersion ${RUNBOOK_API_VERSION}, kind Runbook)`);
    }
    if (manifest.metadata?.namespace !== HeliosNamespace.AUTOMATION) {
      throw new Error(`runbooks/${file}: metadata.namespace must be ${HeliosNamespace.AUTOMATION}, where the operator looks for runbooks`);
    }
    return { file, manifest };
  });
}

/** The approver groups the sample runbooks name: the AutomationStack binds them to approve. */
export function sampleApproverGroups(): string[] {
  return [...new Set(sampleRunbooks().flatMap((r) => r.manifest.spec.approvers ?? []))].sort();
}

export interface SampleRunbooksProps {
  readonly platform: PlatformBase;
}

/** The sample runbooks, with the Helios labels, for clusters that opt in (`automation.sampleRunbooks`). */
export class SampleRunbooks extends Construct {
  public constructor(scope: Construct, id: string, props: SampleRunbooksProps) {
    super(scope, id);
    for (const { manifest } of sampleRunbooks()) {
      new ApiObject(this, manifest.metadata.name, {
        apiVersion: manifest.apiVersion,
        kind: manifest.kind,
        metadata: { ...manifest.metadata, labels: { ...manifest.metadata.labels, ...props.platform.labelsFor(OWNER) } },
        spec: manifest.spec,
      } as any);
    }
  }
}
