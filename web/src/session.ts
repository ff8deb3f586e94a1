// Who is signed in. Local stage: a token minted by the devserver's "sign in as" endpoint.
// Deployed stages: Cognito Hosted UI (authorization code + PKCE) through oidc-client-ts,
// loaded only when someone signs in, so donors who never do don't download it.
import { reactive } from "vue";

export type Role = "donor" | "org_admin" | "platform_admin";
const KEY = "gongyi.session";

type Saved = { token: string; role: Role; org_id: string | null; sub: string };

export const session = reactive({
  token: "" as string,
  role: null as Role | null,
  org_id: null as string | null,
  sub: "" as string,
});

function restore() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) || "null") as Saved | null;
    if (saved?.token) Object.assign(session, saved);
  } catch {
    localStorage.removeItem(KEY);
  }
}
restore();

export function signIn(saved: Saved) {
  Object.assign(session, saved);
  localStorage.setItem(KEY, JSON.stringify(saved));
}

export function signOut() {
  Object.assign(session, { token: "", role: null, org_id: null, sub: "" });
  localStorage.removeItem(KEY);
}

/** Local stage only: ask the devserver for a token of this role. */
export async function signInAs(role: Role, opts: { org?: string; sub?: string } = {}) {
  const sub = opts.sub || `local-${role}`;
  const query = new URLSearchParams({ role, sub, ...(opts.org ? { org: opts.org } : {}) });
  const reply = await fetch(`/__local/token?${query}`);
  if (!reply.ok) throw new Error(`无法登录：${reply.status}`);
  const body = (await reply.json()) as { token: string };
  signIn({ token: body.token, role, org_id: opts.org ?? null, sub });
}

type Oidc = { authority: string; client_id: string; redirect_uri?: string };

async function oidcManager(oidc: Oidc) {
  const { UserManager, WebStorageStateStore } = await import("oidc-client-ts");
  return new UserManager({
    authority: oidc.authority,
    client_id: oidc.client_id,
    redirect_uri: oidc.redirect_uri ?? `${location.origin}/signin/callback`,
    response_type: "code", // authorization code + PKCE
    scope: "openid profile",
    userStore: new WebStorageStateStore({ store: localStorage }),
  });
}

/** To the provider's hosted sign-in; ``next`` (where to go afterwards) travels in the state. */
export async function signInHosted(oidc: Oidc, next = "") {
  await (await oidcManager(oidc)).signinRedirect({ state: next });
}

/** Back from the provider: the role is the ID token's ``custom:role``, as the API reads it (a
 * user who signed up and was given no role is a donor); returns where to go next. */
export async function completeHostedSignIn(oidc: Oidc): Promise<{ role: Role; next: string }> {
  const user = await (await oidcManager(oidc)).signinRedirectCallback();
  const claims = user.profile as Record<string, unknown>;
  const claimed = claims["custom:role"];
  const role: Role = claimed === "platform_admin" || claimed === "org_admin" ? claimed : "donor";
  const org_id = typeof claims["custom:org_id"] === "string" ? (claims["custom:org_id"] as string) : null;
  if (!user.id_token) throw new Error("登录失败：未收到身份令牌");
  signIn({ token: user.id_token, role, org_id, sub: user.profile.sub });
  return { role, next: typeof user.state === "string" ? user.state : "" };
}
