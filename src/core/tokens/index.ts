/** Access tokens and their keys (jwt postures). */
export { KEY_RING_MAX_AGE_MS, loadKeyRing, rotateSigningKey } from './keys.js';
export type { KeyMaterial, KeyRing } from './keys.js';
export { createAccessTokenSigner, MAX_IAT_LEAD_SECONDS } from './sign-access.js';
export type { AccessTokenInput, AccessTokenSigner, SignedAccessToken } from './sign-access.js';
export { createAccessTokenVerifier, MAX_ACCESS_TOKEN_LENGTH, UNKNOWN_KID_RELOAD_INTERVAL_MS } from './verify-access.js';
export type { AccessClaims, AccessRejection, AccessTokenVerifier, AccessVerifyResult } from './verify-access.js';
