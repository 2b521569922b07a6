export { SyncServer, createSyncServer, DEFAULT_SYNC_SERVER_OPTIONS } from './sync-server.js'
export type { SyncServerOptions, ResolvedSyncServerOptions, SyncServerEvents, SessionClosedEvent, CloseOptions } from './sync-server.js'
export type { CloseCause } from './session.js'
export type { BatchEntry, DocumentStorage, StoredDocument, MaybePromise } from './storage/document-storage.js'
export { MemoryStorage } from './storage/memory-storage.js'
export { ServerMetrics } from './metrics.js'
export { roomNameFromPath } from './room-name.js'
export * as protocol from './protocol.js'
export { OPEN_ACCESS, TokenAccessPolicy, tokenFromUpgrade, TOKEN_PROTOCOL_PREFIX, COEDIT_PROTOCOL } from './access/access-policy.js'
export type { AccessPolicy, AccessDecision, SessionAccess, TokenPolicyOptions, GrantCheck, RevocationFeed } from './access/access-policy.js'
export { hostAllowed, originAllowed } from './access/origin-policy.js'
export { RevocationList, MemoryRevocations, revokeToken, revokeDocument, isRevocationStore, REVOKED_REASON } from './access/revocations.js'
export type { Revocation, RevocationStore, StoredRevocation, RevocationListOptions, TokenIdentity } from './access/revocations.js'
export {
  signAccessToken,
  verifyAccessToken,
  grantCovers,
  secretKey,
  tokenIdExpiry,
  WeakSecretError,
  MIN_SECRET_BYTES,
  MAX_TOKEN_LIFETIME_MS,
} from './access/access-token.js'
export type { AccessGrant, AccessRight, Clock, TokenCheck, TokenRequest } from './access/access-token.js'
export type { ClusterRelay, RoomChannel, RemoteEvents } from './cluster/cluster-relay.js'
export { DocumentService, DocumentError, minimalEdit } from './document-service.js'
export type { DocumentInfo } from './document-service.js'
export { DocumentHistory, MAX_VERSION_NAME } from './document-history.js'
export type { VersionInfo, AuthorshipSpan } from './document-history.js'
export { isHistoryStore } from './storage/history-store.js'
export type { HistoryStore, AppendMeta, AttributionRun, VersionRecord, NewVersion, VersionPage } from './storage/history-store.js'
export { diffTexts } from './text-diff.js'
export type { DiffOp } from './text-diff.js'
export { isDocumentCatalog } from './storage/document-catalog.js'
export type { DocumentCatalog, DocumentRecord, ListOptions } from './storage/document-catalog.js'
export { RateLimiter } from './access/rate-limiter.js'
export { isWebhookStore } from './storage/webhook-store.js'
export type { WebhookStore, WebhookDelivery, WebhookEvent, PromoteOptions } from './storage/webhook-store.js'
