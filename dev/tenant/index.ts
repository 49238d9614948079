/** The simulated Entra tenant's public API (see docs/simulated-tenant.md). */
export { ensureDevCertificate, defaultCertDir, type DevCertificate } from './certificate.js';
export {
  startSimulatedTenant,
  type SimulatedTenant,
  type SimulatedTenantOptions,
  type TenantAdmin,
  type TenantCounters,
  type TenantFaults,
  type CertificateOption,
} from './server.js';
export { generateTenant, createPrng, type GenerateTenantOptions } from './generate.js';
export {
  loadTenantFile,
  parseTenantData,
  tenantDataSchema,
  DEFAULT_ACCESS_ROLE_ID,
  type TenantData,
  type ParsedTenantData,
} from './model.js';
export type { FaultSpec, FaultSpecJson } from './faults.js';
export type { FeedFaultSpec, FeedFaultKind } from './feed-faults.js';
export type { FeedSettings } from './feed-settings.js';
export type { FeedAdmin } from './feed-admin.js';
export type { ResourceUnitBudget } from './resource-budget.js';
export type { IssueTokenOptions, TokenAlgorithm } from './tokens.js';
export { GROUPS_OVERAGE_LIMIT } from './tokens.js';
