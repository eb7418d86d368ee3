/**
 * The executor as its own process, for the SIGKILL test: what `runbook-operator execute`
 * does (src/main.ts belongs to the operator's entrypoint), with the environment given.
 */
import { runExecutor } from '../../src/executor/run.js';

process.exitCode = await runExecutor(process.env);
