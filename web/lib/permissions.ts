"use client";
// What the signed-in user may do here, from the grants /v1/auth/me returns (org, workspace or project scoped).
// Used to explain a disabled button before the user clicks it; the servers still decide, and their 403s are shown.
import { useAuth } from "./auth";
import { useProjects } from "./tenancy";

type Grant = { scope: "org" | "workspace" | "project" | string; id: string; permissions: string[] };

export function usePermissions(projectId: string) {
  const { me } = useAuth();
  const projects = useProjects();
  const project = projects.data?.find((p) => p.id === projectId);
  const grants = ((me as unknown as { grants?: Grant[] } | null)?.grants ?? []) as Grant[];
  const known = Boolean(me && project && Array.isArray((me as unknown as { grants?: unknown }).grants));

  /** true/false when the grants are known; undefined while loading (callers then let the server decide). */
  function can(permission: string, at: "org" | "workspace" | "project" = "project"): boolean | undefined {
    if (!known || !project) return undefined;
    return grants.some((grant) => {
      if (!grant.permissions.includes(permission)) return false;
      if (grant.scope === "org") return grant.id === project.orgId;
      if (grant.scope === "workspace") return at !== "org" && grant.id === project.workspaceId;
      if (grant.scope === "project") return at === "project" && grant.id === project.id;
      return false;
    });
  }

  return { can, project };
}
