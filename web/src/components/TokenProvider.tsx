// `requestToken()` from anywhere: opens the dialog and resolves with the token typed
// (kept in the session) or null when cancelled. A 401 handler calls it with the server's message.

import { type ReactNode, createContext, useCallback, useContext, useRef, useState } from "react";
import { ApiError } from "../api";
import { clearToken, readToken, saveToken } from "../token";
import { TokenDialog } from "./TokenDialog";

export interface TokenApi {
  /** The session's token, or ask for one. */
  getToken: () => Promise<string | null>;
  /** Forget the session's token and ask again, saying why. */
  requestToken: (message?: string | null) => Promise<string | null>;
}

const TokenContext = createContext<TokenApi | null>(null);

interface Pending {
  message: string | null;
  resolve: (token: string | null) => void;
}

export function TokenProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const pendingRef = useRef<Pending | null>(null);

  const requestToken = useCallback((message: string | null = null) => {
    clearToken();
    // One dialog at a time: an earlier request still open is answered "cancelled".
    pendingRef.current?.resolve(null);
    return new Promise<string | null>((resolve) => {
      const next = { message, resolve };
      pendingRef.current = next;
      setPending(next);
    });
  }, []);

  const getToken = useCallback(async () => readToken() ?? requestToken(null), [requestToken]);

  const close = useCallback((token: string | null) => {
    const current = pendingRef.current;
    pendingRef.current = null;
    setPending(null);
    if (token) saveToken(token);
    current?.resolve(token);
  }, []);

  const onCancel = useCallback(() => close(null), [close]);

  return (
    <TokenContext.Provider value={{ getToken, requestToken }}>
      {children}
      {pending && <TokenDialog message={pending.message} onSubmit={(tk) => close(tk)} onCancel={onCancel} />}
    </TokenContext.Provider>
  );
}

export function useTokenApi(): TokenApi {
  const ctx = useContext(TokenContext);
  if (!ctx) throw new Error("useTokenApi outside TokenProvider");
  return ctx;
}

/**
 * Run an action that needs the token: with the session's token (asking for one the first
 * time), asking again with the server's message on 401. Null when the dialog is cancelled.
 */
export async function withToken<T>(tokens: TokenApi, call: (token: string) => Promise<T>): Promise<T | null> {
  let token = await tokens.getToken();
  while (token) {
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) throw err;
      token = await tokens.requestToken(err.detail);
    }
  }
  return null;
}
