// Every static rule, in the order their findings are listed for a file.
import type { FileRule, SetupRule } from '../finding.js';
import { syntaxRule } from './syntax.js';
import { headerRule } from './header.js';
import { idempotentRule } from './idempotent.js';
import { hardcodedDataRule } from './hardcoded-data.js';
import { transactionRule } from './transaction.js';
import { namingRule } from './naming.js';
import { sequenceRule } from './sequence.js';
import { standardFieldsRule } from './standard-fields.js';
import { foreignKeyRule } from './foreign-key.js';
import { fkIndexRule } from './fk-index.js';
import { rlsRule } from './rls.js';
import { updatedAtRule } from './updated-at.js';
import { runOrderRule } from './run-order.js';
import { createExistingRule } from './create-existing.js';

/** Rules that read one file at a time: run once per file, whatever the setups. */
export const FILE_RULES: readonly FileRule[] = [syntaxRule, headerRule, idempotentRule, transactionRule, hardcodedDataRule];

/** Rules that read a whole setup (folders, global numbering, the corpus): run once per setup. */
export const SETUP_RULES: readonly SetupRule[] = [namingRule, sequenceRule, standardFieldsRule, foreignKeyRule, fkIndexRule, rlsRule, updatedAtRule, runOrderRule, createExistingRule];

/**
 * Rules a down file (`NNN_name.down.sql`, run by db:rollback) is held to: it parses,
 * it can run again (DROP … IF EXISTS), and it controls no transaction (rollback runs
 * it in one, together with the removal of its tracking row).
 */
export const DOWN_FILE_RULES: readonly FileRule[] = [syntaxRule, idempotentRule, transactionRule];
