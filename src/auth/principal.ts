import type { UserRole } from '../generated/prisma/enums.js';

/** A person signed in to the dashboard or its REST API. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  email: string;
  role: UserRole;
  /** The UserSession row behind the token or cookie. */
  sessionId: string;
  mustChangePassword: boolean;
  /** How the request proved who it is; cookie-authenticated writes need the CSRF header. */
  via: 'cookie' | 'bearer';
}

/** An agent authenticated by an SDK API key. */
export interface ApiKeyPrincipal {
  kind: 'api_key';
  apiKeyId: string;
  projectId: string;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;
