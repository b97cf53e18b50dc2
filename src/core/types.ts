/** A user as the public API shows it: no hash, no internals. */
export interface PublicUser {
  id: string;
  email: string;
  roles: string[];
}

/** A user as admin operations show it. */
export interface AdminUser extends PublicUser {
  disabled: boolean;
}

/** How a credential reached the server. */
export type Transport = 'cookie' | 'bearer';

/** The authenticated caller of a request. */
export interface Principal {
  user: PublicUser;
  /** The session (session posture) or refresh family (jwt postures) the credential belongs to. */
  session: { id: string; createdAt: number; expiresAt: number };
  transport: Transport;
}

/** Why a credential was not accepted. Expected on the hot path: a result, not an exception. */
export type RejectReason = 'missing' | 'malformed' | 'invalid' | 'expired' | 'revoked';

/** The result of authenticating a request. */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: RejectReason };

/** The result of logging out by a presented credential: a refusal as `authenticate` gives it, or the CSRF check's. */
export type LogoutResult = { ok: true } | { ok: false; reason: RejectReason | 'csrf_rejected' };

/** One device's login, as listed to its user. */
export interface SessionInfo {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** Context of the client making a request. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}
