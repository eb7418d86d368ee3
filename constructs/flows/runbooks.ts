/** The document, in the repository, with the flow pipeline's runbooks: one heading per alert. */
export const FLOWS_RUNBOOKS = 'constructs/flows/README.md';
