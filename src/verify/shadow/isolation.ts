// --isolation (placeholder until the probe lands).
import type { Database } from '../../db/driver.js';
import type { Finding } from '../types.js';

export interface IsolationReport {
  findings: Finding[];
}

export async function probeIsolation(_db: Database): Promise<IsolationReport> {
  return { findings: [] };
}
