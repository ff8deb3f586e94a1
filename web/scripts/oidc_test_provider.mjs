// A local OpenID Connect provider standing in for the Cognito Hosted UI in tests
// (tests/browser/test_hosted_signin.py). panva's oidc-provider with its development sign-in
// pages (any login, any password), one public client using authorization code + PKCE, RS256
// ID tokens carrying the claims a Cognito user pool puts there: custom:role and custom:org_id.
//
//   node web/scripts/oidc_test_provider.mjs --port 9000 --client gongyi-console \
//       --redirect http://127.0.0.1:8080/signin/callback
//
// Logins: "reviewer" is platform staff (custom:role platform_admin); "charity:<org_id>" is that
// charity's staff (org_admin); any other login is a donor who signed up and has no role set.
// Prints "ready <issuer>" once listening. Test use only: keys and sessions live in memory.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";

const { values } = parseArgs({
  options: { port: { type: "string" }, client: { type: "string" }, redirect: { type: "string" } },
});
const issuer = `http://127.0.0.1:${values.port}`;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };

function claimsOf(login) {
  if (login === "reviewer") return { "custom:role": "platform_admin" };
  if (login.startsWith("charity:")) return { "custom:role": "org_admin", "custom:org_id": login.slice(8) };
  return {};
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: values.client,
      token_endpoint_auth_method: "none",
      redirect_uris: [values.redirect],
      response_types: ["code"],
      grant_types: ["authorization_code"],
    },
  ],
  jwks: { keys: [signing] },
  cookies: { keys: [randomUUID()] },
  claims: { openid: ["sub"], profile: ["name", "custom:role", "custom:org_id"] },
  conformIdTokenClaims: false, // scope claims in the ID token, as Cognito puts user attributes there
  clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, name: id, ...claimsOf(id) }),
  }),
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
});

provider.listen(Number(values.port), "127.0.0.1", () => console.log(`ready ${issuer}`));
