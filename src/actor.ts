/**
 * Who made a change: the API key that authenticated the request. Its own module so that auth/
 * (which produces actors) and events/ (which records them) both depend on it, not on each other.
 */
export interface Actor {
  keyId: string;
  name: string;
  scopes: string[];
}
