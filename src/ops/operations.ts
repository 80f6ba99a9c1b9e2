/**
 * The table of admin operations. Each operation is declared once (src/ops/*-ops.ts): its
 * name, HTTP method and path, input schema (zod; the one validation, parse-input.ts), answer
 * schema, authority, handler over the node's components (node/component-access.ts) and
 * audit record. From this table come the admin API's routes and OpenAPI entries
 * (api/op-routes.ts), the CLI's requests to a running node and its offline path over the
 * same components (cli/op-runner.ts), and every operator action's audit record
 * (run-op.ts) — so an operation behaves, fails and is recorded the same wherever it runs.
 */
import type { AnyOperation } from './operation.js'
import { adminTokenOp, auditListOp, federationAddOp, federationListOp, federationReloadOp, federationRemoveOp, peersOp, statusOp, syncWaitOp } from './node-ops.js'
import { hashesAddOp, hashesExportOp, hashesForksOp, hashesImportOp, hashesOriginsOp, hashesRetractOp, hashesShowOp } from './hash-ops.js'
import { reportsCountsOp, reportsListOp, reportsOutboxOp, reportsRejectionsOp, reportsRetentionOp, reportsShowOp, reportsStatsOp, reportsSubmitOp, reportsSubmitBatchOp, reportsUpdateOp, reportsReopenOp, traceOp } from './report-ops.js'
import { verifyOp } from './verify-op.js'
import { disputesDecideOp, reportsHosterReportOp, tokensUsageOp } from './workbench-ops.js'
import { keysRevokeOp, keysRotateOp, keysStatusOp } from './key-ops.js'
import { membersCosignOp, membersProposalsOp, membersProposeOp } from './membership-ops.js'
import { checkOp, checkVideoOp, disputesListOp, feedbackSendOp, matchDisableOp, matchEnableOp, matchStatusOp, tokensCreateOp, tokensListOp, tokensRevokeOp } from './check-ops.js'
import { benignListOp, hashesBenignOp, matchHoldOp, matchReleaseOp, quarantineConfirmOp, quarantineListOp, quarantineReleaseOp, quarantineShowOp } from './quarantine-ops.js'

export * from './node-ops.js'
export * from './hash-ops.js'
export * from './report-ops.js'
export * from './check-ops.js'
export * from './workbench-ops.js'
export * from './key-ops.js'
export * from './membership-ops.js'
export * from './quarantine-ops.js'

/** Every operation, in the order of the API documentation. Fixed paths before `:param` ones. */
export const OPERATIONS: readonly AnyOperation[] = [
  statusOp, peersOp, federationListOp, federationAddOp, federationRemoveOp, federationReloadOp, auditListOp, adminTokenOp,
  reportsSubmitOp, reportsSubmitBatchOp, reportsListOp, reportsStatsOp, reportsOutboxOp, reportsRejectionsOp, reportsCountsOp, reportsRetentionOp, reportsHosterReportOp, reportsShowOp, reportsUpdateOp, reportsReopenOp, traceOp,
  hashesImportOp, hashesExportOp, hashesRetractOp, hashesShowOp, hashesOriginsOp, hashesForksOp, hashesAddOp,
  syncWaitOp, verifyOp,
  keysStatusOp, keysRotateOp, keysRevokeOp, membersProposalsOp, membersProposeOp, membersCosignOp,
  matchStatusOp, matchDisableOp, matchEnableOp, tokensListOp, tokensUsageOp, tokensCreateOp, tokensRevokeOp, checkOp, checkVideoOp, feedbackSendOp, disputesListOp, disputesDecideOp,
  hashesBenignOp, benignListOp, matchHoldOp, matchReleaseOp, quarantineListOp, quarantineShowOp, quarantineConfirmOp, quarantineReleaseOp
]
