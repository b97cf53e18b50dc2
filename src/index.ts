export { createTessera, type Tessera, type LoginResult } from './core/tessera.js';
export { MODES, ALGORITHMS, type Mode, type Algorithm, type TesseraOptions, type ResolvedConfig } from './core/config.js';
export { TesseraError, StoreError, ConfigError, type ErrorCode } from './core/errors.js';
export { systemClock, createManualClock, type Clock, type ManualClock } from './core/clock.js';
export { describePosture, type PostureReport } from './core/posture.js';
export type { IssuedCredentials } from './core/engine.js';
export type { AuthResult, Principal, PublicUser, AdminUser, SessionInfo, ClientInfo, RejectReason, Transport } from './core/types.js';
export type * from './stores/types.js';
