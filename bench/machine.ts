// What the numbers were measured on, printed at the top of every report.
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  psql: string;
  dbmate: string;
  nodePgMigrate: string;
  /** Commit of the repository and whether the engine's files differ from it. */
  commit: string;
  uncommittedEngineChanges: string[];
  /** When dist/ (the engine measured) was last built. */
  engineBuiltAt: string;
  loadAverage: number[];
}

async function output(file: string, args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run(file, args, { cwd });
    return stdout.trim();
  } catch (error) {
    return `unknown (${(error as Error).message.split('\n')[0]})`;
  }
}

export async function machineInfo(options: { repoRoot: string; postgresVersion: string; psql: string; dbmate: string; nodePgMigrateVersion: string; engineBuiltAt: Date }): Promise<MachineInfo> {
  const cpus = os.cpus();
  const status = await output('git', ['status', '--porcelain', '--', 'src', 'scripts'], options.repoRoot);
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: options.postgresVersion,
    psql: await output(options.psql, ['--version']),
    dbmate: await output(options.dbmate, ['--version']),
    nodePgMigrate: options.nodePgMigrateVersion,
    commit: await output('git', ['rev-parse', '--short', 'HEAD'], options.repoRoot),
    uncommittedEngineChanges: status.startsWith('unknown') ? [status] : status.split('\n').filter(Boolean),
    engineBuiltAt: options.engineBuiltAt.toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
