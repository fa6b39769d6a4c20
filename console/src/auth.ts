import type { ConsoleConfig } from "./config";

const KEY = "drs-orch.session";

export interface Session {
  idToken: string;
  username: string;
  expiresAt: number;
}

export class SignInError extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

/** Username/password sign-in against the Cognito user pool (USER_PASSWORD_AUTH, the app client
 * has no secret). The ID token is what the API's Cognito authorizer checks. */
export async function signIn(cfg: ConsoleConfig, username: string, password: string): Promise<Session> {
  const resp = await fetch(cfg.cognitoEndpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      ClientId: cfg.clientId,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const code = String(body.__type ?? `HTTP_${resp.status}`).split("#").pop() ?? "SIGN_IN_FAILED";
    throw new SignInError(code, body.message ?? body.Message ?? "sign-in failed");
  }
  const result = body.AuthenticationResult;
  if (!result?.IdToken) {
    throw new SignInError(body.ChallengeName ?? "CHALLENGE", "this user must complete a sign-in challenge first");
  }
  const session = { idToken: result.IdToken, username, expiresAt: Date.now() + (result.ExpiresIn ?? 3600) * 1000 };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  const s = JSON.parse(raw) as Session;
  return s.expiresAt > Date.now() ? s : null;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
