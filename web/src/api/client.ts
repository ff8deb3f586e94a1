// The typed API client: paths and bodies come from schema.d.ts, generated from the app's
// /openapi.json (make web-schema). A renamed route or field breaks `vue-tsc`, not the user.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";
import { session } from "../session";

export type Schemas = components["schemas"];
export type ApiError = { error: { code: string; message: string; details?: { field?: string; message?: string }[] } };

export const config = { apiBase: "/api", stage: "local", localSignIn: false } as {
  apiBase: string;
  stage: string;
  localSignIn: boolean;
  /** local stage only: the payment-provider simulator, whose cashier stands in for a payer's phone */
  paySimulator?: string | null;
  oidc?: { authority: string; client_id: string; redirect_uri?: string };
};

const auth: Middleware = {
  onRequest({ request }) {
    if (session.token) request.headers.set("Authorization", `Bearer ${session.token}`);
    return request;
  },
};

export let api = createClient<paths>({ baseUrl: "/api" });

export async function loadConfig(): Promise<void> {
  const reply = await fetch("/config.json", { cache: "no-store" });
  if (reply.ok) Object.assign(config, await reply.json());
  api = createClient<paths>({ baseUrl: config.apiBase });
  api.use(auth);
}

/** The message to show for an API error body (or a thrown one). */
export function errorText(error: unknown): string {
  const body = error as ApiError | undefined;
  if (body?.error) {
    const fields = (body.error.details ?? []).map((d) => d.field).filter(Boolean);
    return fields.length ? `${body.error.message}（${fields.join("、")}）` : body.error.message;
  }
  return String(error ?? "请求失败");
}

/** Unwraps an openapi-fetch reply: the data, or throws the error body. */
export function must<T>(reply: { data?: T; error?: unknown }): T {
  if (reply.error !== undefined || reply.data === undefined) throw reply.error ?? new Error("空响应");
  return reply.data;
}

/** PUT a file to a presigned S3 URL with the content type it was signed for. */
export async function putFile(url: string, file: Blob, contentType: string, headers: Record<string, string> = {}) {
  const reply = await fetch(url, { method: "PUT", body: file, headers: { "Content-Type": contentType, ...headers } });
  if (!reply.ok) throw new Error(`上传失败：${reply.status}`);
}
