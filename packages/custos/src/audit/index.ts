export { INSTANCE_CHAIN } from './chain.ts';
export { AuditTrail, auditEntrySchema, type AuditEntryInput, type AuditTables, type AuditTrx, type Recorded } from './record.ts';
export { chainsOf, verifyChain, type ChainReport } from './verify.ts';
