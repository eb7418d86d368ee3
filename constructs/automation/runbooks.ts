import { RUNBOOK_BASE_URL } from '../metrics/rules.js';

/** Where the automation alerts link to: their runbooks in constructs/automation/README.md, one anchor per alert. */
export const AUTOMATION_RUNBOOKS = RUNBOOK_BASE_URL.replace(/constructs\/metrics\/README\.md$/, 'constructs/automation/README.md');
