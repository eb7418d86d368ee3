/** The document, in the repository, with the automation alerts' runbooks: one heading per alert. */
export const AUTOMATION_RUNBOOKS = 'constructs/automation/README.md';
