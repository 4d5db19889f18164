// syntax: the file (or a DO block in it) does not parse, or is not text the engine
// runs (bytes that are not UTF-8, psql client features). Reported where PostgreSQL's
// own parser stopped, or at the bad byte or the feature.
import type { FileRule } from '../finding.js';
import { RULE_SEVERITY } from '../types.js';

export const syntaxRule: FileRule = (file) =>
  file.syntax.map((problem) => ({
    rule: 'syntax',
    severity: RULE_SEVERITY.syntax,
    file: file.file.path,
    line: problem.position.line,
    column: problem.position.column,
    message: problem.message,
    fix:
      problem.fix ??
      'Fix the SQL at this place: the check uses PostgreSQL\'s own parser, so the server rejects it the same way. Other rules skip what does not parse.',
    statement: problem.statement,
  }));
