import type { StoredUser } from '../stores/types.js';
import type { AuthResult, ClientInfo, LogoutResult, Principal, SessionInfo, Transport } from './types.js';

/** Credentials minted at login or refresh. The secrets in here go to the client once and are never stored. */
export type IssuedCredentials =
  | {
      kind: 'session';
      sessionId: string;
      createdAt: number;
      expiresAt: number;
      /** Opaque session token (the cookie value, or the bearer access token). */
      token: string;
    }
  | {
      kind: 'jwt';
      /** Refresh-family id, the `sid` claim. */
      sessionId: string;
      createdAt: number;
      /** When the refresh family expires. */
      expiresAt: number;
      accessToken: string;
      accessExpiresAt: number;
      refreshToken: string;
      refreshExpiresAt: number;
    };

/** Decides whether this request may act on the login (session / refresh family) with this id. */
export type AuthorizeSession = (session: { id: string }) => boolean | Promise<boolean>;

/**
 * What differs between postures. The facade (`createTessera`) owns users, passwords, limits and
 * CSRF; an engine owns how a login becomes a credential and how revocation reaches it.
 */
export interface PostureEngine {
  issue(user: StoredUser, client: ClientInfo): Promise<IssuedCredentials>;
  authenticate(token: string, transport: Transport): Promise<AuthResult>;
  /** Ends the caller's session / refresh family. */
  logout(principal: Principal): Promise<void>;
  /**
   * Authenticates a credential as `authenticate` does and ends its session / refresh family, after
   * `authorize` (the CSRF check of a cookie request) allowed it for that session; nothing ends
   * otherwise. `ok` exactly when `authenticate` would have accepted the credential and `authorize` did.
   */
  logoutCredential(token: string, transport: Transport, authorize?: AuthorizeSession): Promise<LogoutResult>;
  /** Ends every session / refresh family of the user, effective as the posture says. */
  revokeAll(userId: string): Promise<void>;
  /** Ends one session / family of the user; false if the user has none with that id. */
  revoke(userId: string, id: string): Promise<boolean>;
  list(userId: string, currentId: string | null): Promise<SessionInfo[]>;
  /** Called after a role change so that it takes effect as the posture says. */
  rolesChanged(userId: string): Promise<void>;
  /** Prepares keys, subscriptions, …; retried on the next call if it failed. */
  init(): Promise<void>;
  close(): Promise<void>;
}
