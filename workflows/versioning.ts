/**
 * Each workflow type's Worker Versioning behavior: PINNED stays on the build it started on until it ends
 * (its history is replayed by that build only, so a deploy needs no `patched()`), AUTO_UPGRADE moves to the
 * deployment's current build at its next workflow task (so a change to it still needs `patched()`).
 * Only a versioned worker may state one: the server refuses an unversioned worker's task completion that
 * carries a behavior, so it is stated only when the run's first task came from a worker of a deployment.
 * Runs begun on an unversioned worker get the versioned worker's default, PINNED (worker/create-worker.ts).
 */
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';

export function setVersioningBehavior<A extends unknown[], R>(behavior: VersioningBehavior, workflow: (...args: A) => Promise<R>): void {
  setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {}), workflow);
}
