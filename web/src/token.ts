// The API token lives in sessionStorage: asked for once, gone when the tab closes,
// never written to localStorage or a cookie.

const KEY = "stocklab.apiToken";

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null; // storage disabled (private mode, sandboxed frame)
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Without storage the token is asked for again next time; nothing else breaks.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing kept, nothing to clear
  }
}
