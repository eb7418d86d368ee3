import { RUNBOOK_BASE_URL } from '../metrics/rules.js';

/** Where the flow pipeline's alerts link to: their runbooks in constructs/flows/README.md, one anchor per alert. */
export const FLOWS_RUNBOOKS = RUNBOOK_BASE_URL.replace(/constructs\/metrics\/README\.md$/, 'constructs/flows/README.md');
