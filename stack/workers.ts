/**
 * `npm run workers -- status | promote <buildId> | retire <buildId>`: moves orders from one build of the
 * worker to the next, in the Worker Deployment named by TEMPORAL_WORKER_DEPLOYMENT (docs/upgrades.md).
 *
 * - status: each build, newest first: current / ramping / draining / drained / inactive, its open pinned
 *   workflows, the workers polling for it;
 * - promote: new workflows start on that build from now on; the build current until then drains (its pinned
 *   orders finish on it);
 * - retire: deletes a drained build whose workers are stopped. Temporal refuses while it is current, still
 *   has open pinned workflows, or has had pollers lately, and the reason is printed.
 *
 * Exit codes: 0 done, 1 refused by Temporal, 2 bad arguments, versioning off or Temporal unreachable.
 */
import { parseArgs } from 'node:util';
import { Client, isGrpcServiceError } from '@temporalio/client';
import { loadConfig, type Config } from '../config.js';
import { connectTemporalClient } from '../services/temporal-connection.js';
import { describeDeployment, type BuildReport } from './worker-deployments.js';

const USAGE = 'usage: npm run workers -- status | promote <buildId> | retire <buildId>';
const COMMANDS = ['status', 'promote', 'retire'] as const;
type Command = (typeof COMMANDS)[number];

function parseCommandLine(argv: string[]): { command: Command; buildId?: string } {
  const fail = (message: string): never => {
    console.error(`workers: ${message}\n${USAGE}`);
    process.exit(2);
  };
  const { positionals, values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: false });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [command, buildId, ...rest] = positionals;
  if (!(COMMANDS as readonly string[]).includes(command)) return fail(command ? `unknown command "${command}"` : 'no command');
  if (command === 'status' ? buildId !== undefined : buildId === undefined || rest.length > 0) return fail(`${command} takes ${command === 'status' ? 'no' : 'one'} build id`);
  return { command: command as Command, buildId };
}

/**
 * The one place this command connects to Temporal. It is to read its connection settings the way the rest
 * of the product will (`@temporalio/envconfig`, `loadClientConnectConfig`) once that shared module lands.
 */
async function connectToTemporal(config: Config): Promise<Client> {
  const connection = await connectTemporalClient(config.temporal.connection);
  return new Client({ connection, namespace: config.temporal.namespace });
}

function printBuilds(builds: BuildReport[]): void {
  const width = Math.max(5, ...builds.map((b) => b.buildId.length));
  const line = (build: string, status: string, pinned: string, pollers: string) => `  ${build.padEnd(width)}  ${status.padEnd(8)}  ${pinned.padEnd(11)}  ${pollers}`;
  console.log(line('build', 'status', 'pinned open', 'pollers'));
  for (const b of builds) console.log(line(b.buildId, b.status, String(b.pinnedOpen), b.pollers.length === 0 ? 'none' : `${b.pollers.length} (${b.pollers.join(', ')})`));
}

async function printStatus(client: Client, deploymentName: string, only?: string): Promise<void> {
  const deployment = await describeDeployment(client, deploymentName);
  if (!deployment) console.log(`No worker of Worker Deployment "${deploymentName}" has polled namespace "${client.options.namespace}" yet.`);
  else {
    const builds = deployment.builds.filter((build) => !only || build.buildId === only);
    if (builds.length > 0) printBuilds(builds);
  }
}

async function run(client: Client, deploymentName: string, command: Command, buildId: string | undefined): Promise<void> {
  const { namespace, identity } = client.options;
  console.log(`Worker Deployment "${deploymentName}", namespace "${namespace}"`);
  if (command === 'promote') {
    const { conflictToken, workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    const previous = workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId;
    // The token: refused if someone else changed the deployment meanwhile.
    await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName, buildId, conflictToken, identity });
    console.log(`build ${buildId} is current: new workflows start on it.${previous && previous !== buildId ? ` Build ${previous} drains: its pinned workflows finish on it.` : ''}`);
  }
  if (command === 'retire') {
    await client.workflowService.deleteWorkerDeploymentVersion({ namespace, deploymentVersion: { deploymentName, buildId: buildId! }, identity });
    console.log(`build ${buildId} is retired (deleted from the deployment).`);
  }
  await printStatus(client, deploymentName);
}

async function main(): Promise<number> {
  const { command, buildId } = parseCommandLine(process.argv.slice(2));
  const config = loadConfig();
  const deploymentName = config.temporal.workerVersioning?.deploymentName;
  if (!deploymentName) {
    console.error('workers: worker versioning is off: set TEMPORAL_WORKER_DEPLOYMENT to the Worker Deployment\'s name');
    return 2;
  }
  let client: Client;
  try {
    client = await connectToTemporal(config);
  } catch (error) {
    console.error(`workers: ${(error as Error).message}`);
    return 2;
  }
  try {
    await run(client, deploymentName, command, buildId);
    return 0;
  } catch (error) {
    if (!isGrpcServiceError(error)) throw error;
    // Temporal's own words: "... cannot be deleted since it is draining", "... not found in deployment", ...
    console.error(`workers: ${command} refused: ${error.details || error.message}`);
    if (buildId) await printStatus(client, deploymentName, buildId).catch(() => {});
    return 1;
  } finally {
    await client.connection.close();
  }
}

process.exitCode = await main();
