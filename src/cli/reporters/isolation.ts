// The isolation matrix of verify --isolation, as text (placeholder until the probe lands).
import type { IsolationReport } from '../../verify/shadow/isolation.js';
import type { Style } from './style.js';

export function isolationLines(_report: IsolationReport, _style: Style): string[] {
  return [];
}
