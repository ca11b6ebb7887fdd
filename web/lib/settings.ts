// Settings of a project: its API keys, the org's members, roles and invitations (control plane), the workspace's
// provider keys (data plane) and the project itself. Shapes as the servers answer them:
// services/ControlPlane.Api/Keys/ApiKeyViews.cs, Members/*.cs, Roles/RolesApi.cs, Tenancy/ProjectsApi.cs and
// services/DataPlane.Api/Apis/SecretsApi.cs.
import { ApiError, cp, dp } from "./api";

type Envelope<T> = { data: T };

// ---- API keys (project keys: SDKs and ingestion) ----

export type ProjectKey = {
  id: string;
  name: string;
  masked: string;
  key_prefix: string;
  project_id: string;
  scopes: string[];
  created_at: string;
  created_by: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
};

/** The answer to creating a key: the only time `key` is ever sent. */
export type CreatedKey = Omit<ProjectKey, "masked" | "created_by" | "last_used_at" | "revoked_at"> & { key: string };

/** services/ServiceDefaults/Auth/ApiScopes.cs: read < write < admin; ingest stands alone. */
export const keyScopes: { name: string; text: string }[] = [
  { name: "ingest", text: "Send events and traces (event API, OTLP). Reads nothing: the key to ship inside an application." },
  { name: "read", text: "Query events, sessions, runs, datasets, metrics and configurations." },
  { name: "write", text: "Create, change and delete datasets, runs, metrics, configurations and sessions (includes read)." },
  { name: "admin", text: "The workspace's provider keys too (includes write and read)." },
];

export const listKeys = (projectId: string) => cp<ProjectKey[]>(`/v1/projects/${projectId}/api_keys`);

export const createKey = (projectId: string, body: { name: string; scopes: string[]; expires_at?: string }) =>
  cp<CreatedKey>(`/v1/projects/${projectId}/api_keys`, { method: "POST", body });

export const revokeKey = (keyId: string) => cp<ProjectKey>(`/v1/api_keys/${keyId}`, { method: "DELETE" });

export function keyStatus(key: ProjectKey, now = Date.now()): "active" | "revoked" | "expired" {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && new Date(key.expires_at).getTime() <= now) return "expired";
  return "active";
}

// ---- Members, invitations and roles (per org) ----

export type Binding = { scope_type: "workspace" | "project" | string; scope_id: string; role: string };
export type Member = { user_id: string; email: string; name: string; role: string | null; bindings: Binding[] };
export type Invitation = {
  id: string;
  email: string;
  role: string;
  scope_type: "org" | "workspace" | "project" | string;
  scope_id: string;
  created_at: string;
  expires_at: string;
  status: "pending" | "accepted" | "revoked" | "expired" | string;
};
export type CreatedInvitation = Omit<Invitation, "created_at" | "status"> & { accept_token: string };
export type Role = { name: string; description: string; permissions: string[]; built_in: boolean };

/** services/ServiceDefaults/Auth/Permissions.cs BuiltInRoles, for when the role list may not be read (it needs roles:manage). */
export const builtInRoles = ["owner", "admin", "member", "viewer"];

export const listMembers = async (orgId: string) => (await cp<Envelope<Member[]>>(`/v1/orgs/${orgId}/members`)).data;

export const setMemberRole = async (orgId: string, userId: string, role: string | null) =>
  (await cp<Envelope<Member>>(`/v1/orgs/${orgId}/members/${userId}`, { method: "PUT", body: { role } })).data;

export const removeMember = async (orgId: string, userId: string) =>
  (await cp<Envelope<Member>>(`/v1/orgs/${orgId}/members/${userId}`, { method: "DELETE" })).data;

export const setBinding = async (orgId: string, userId: string, binding: Binding) =>
  (await cp<Envelope<Member>>(`/v1/orgs/${orgId}/members/${userId}/bindings`, { method: "PUT", body: binding })).data;

export const removeBinding = async (orgId: string, userId: string, scopeType: string, scopeId: string) =>
  (await cp<Envelope<Member>>(`/v1/orgs/${orgId}/members/${userId}/bindings`, { method: "DELETE", query: { scope_type: scopeType, scope_id: scopeId } })).data;

export const listInvitations = async (orgId: string) => (await cp<Envelope<Invitation[]>>(`/v1/orgs/${orgId}/invitations`)).data;

export const createInvitation = async (orgId: string, body: { email: string; role: string; scope_type: string; scope_id?: string }) =>
  (await cp<Envelope<CreatedInvitation>>(`/v1/orgs/${orgId}/invitations`, { method: "POST", body })).data;

export const revokeInvitation = async (orgId: string, invitationId: string) =>
  (await cp<Envelope<Invitation>>(`/v1/orgs/${orgId}/invitations/${invitationId}`, { method: "DELETE" })).data;

export const listRoles = async (orgId: string) => (await cp<Envelope<Role[]>>(`/v1/orgs/${orgId}/roles`)).data;

export const acceptInvitation = async (body: { token: string; name?: string; password?: string }) =>
  (await cp<Envelope<{ user_id: string; org_id: string; email: string }>>("/v1/invitations/accept", { method: "POST", body })).data;

/** Where an invitee accepts: this UI's page, which posts the token to the control plane. */
export function acceptLink(token: string) {
  return `${window.location.origin}/accept-invitation?token=${encodeURIComponent(token)}`;
}

// ---- Provider keys (the workspace's, on the data plane; write-only) ----

export type ProviderSecret = {
  provider: string;
  masked_value: string;
  kind: string | null;
  base_url: string | null;
  settings: Record<string, string> | null;
  created_at: string;
  updated_at: string;
};

/** services/DataPlane.Api/Secrets/ProviderKinds.cs and ProviderSecretSettings.cs. */
export const providerKinds: { kind: string; label: string; needsBaseUrl: boolean; settings: string[] }[] = [
  { kind: "openai", label: "OpenAI", needsBaseUrl: false, settings: ["organization", "project"] },
  { kind: "anthropic", label: "Anthropic", needsBaseUrl: false, settings: [] },
  { kind: "gemini", label: "Google Gemini", needsBaseUrl: false, settings: [] },
  { kind: "azure", label: "Azure OpenAI", needsBaseUrl: true, settings: ["api_version"] },
  { kind: "bedrock", label: "AWS Bedrock", needsBaseUrl: false, settings: ["region"] },
  { kind: "vertex", label: "Google Vertex AI", needsBaseUrl: false, settings: ["project", "location"] },
  { kind: "openai-compatible", label: "OpenAI-compatible (Ollama, vLLM, Groq…)", needsBaseUrl: true, settings: [] },
];

export const providerPattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export const listSecrets = async () => (await dp<{ secrets: ProviderSecret[] }>("/v1/provider-secrets")).secrets;

export const putSecret = (provider: string, body: { value: string; kind?: string; base_url?: string; settings?: Record<string, string> }) =>
  dp<ProviderSecret>(`/v1/provider-secrets/${encodeURIComponent(provider)}`, { method: "PUT", body });

export const deleteSecret = (provider: string) => dp<{ deleted: boolean }>(`/v1/provider-secrets/${encodeURIComponent(provider)}`, { method: "DELETE" });

export const rewrapSecrets = () => dp<{ rewrapped: number; unreadable: number; key_id: string }>("/v1/provider-secrets/rotate", { method: "POST" });

// ---- The project ----

export type ProjectInfo = { id: string; name: string; description: string; created_at: string; updated_at: string };

export const getProject = async (projectId: string) => (await cp<Envelope<ProjectInfo>>(`/v1/projects/${projectId}`)).data;

export const updateProject = async (projectId: string, body: { name?: string; description?: string }) =>
  (await cp<Envelope<ProjectInfo>>(`/v1/projects/${projectId}`, { method: "PUT", body })).data;

/** The permission a 403 names, from either plane (DP: required_permission; CP: in the text). */
export function requiredPermission(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 403) return null;
  const body = (error.body ?? {}) as Record<string, unknown>;
  if (typeof body.required_permission === "string") return body.required_permission;
  const match = /'([a-z_]+:[a-z_]+)'/.exec(error.detail ?? "");
  return match ? match[1] : null;
}

// ---- The org's sign-in policy and its SSO connections (services/ControlPlane.Api/OrgSecurity, Sso) ----

export type OrgSecurity = { org_id: string; require_mfa: boolean; require_sso: boolean; break_glass_user_ids: string[] };
export type SsoConnection = { id: string; protocol: "oidc" | "saml" | string; name: string; email_domains: string[]; default_role: string; enabled: boolean };

export const getOrgSecurity = async (orgId: string) => (await cp<Envelope<OrgSecurity>>(`/v1/orgs/${orgId}/security`)).data;

export const setOrgSecurity = async (orgId: string, body: Omit<OrgSecurity, "org_id">) =>
  (await cp<Envelope<OrgSecurity>>(`/v1/orgs/${orgId}/security`, { method: "PUT", body })).data;

export const listSsoConnections = async (orgId: string) => (await cp<Envelope<SsoConnection[]>>(`/v1/orgs/${orgId}/sso_connections`)).data;
