"use client";
// Where the user can look: org → workspace → project, read from the control plane (orgs, their virtual data
// planes, those planes' workspaces, the workspaces' projects). The project in the URL scopes every DP call.
import { useQuery } from "@tanstack/react-query";
import { ApiError, cp } from "./api";

type Envelope<T> = { data: T };
export type Org = { id: string; name: string; role?: string };
export type Workspace = { id: string; name: string; orgId: string; orgName: string };
export type Project = { id: string; name: string; description?: string; workspaceId: string; workspaceName: string; orgId: string; orgName: string };

/** A listing the caller may not read (403) or not see (404) is a branch of the tree they do not reach: skipped. */
async function reachable<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return null;
    throw error;
  }
}

type Grant = { scope: string; id: string; permissions: string[] };

export async function loadProjects(): Promise<Project[]> {
  const orgs = (await cp<Envelope<Org[]>>("/v1/orgs")).data;
  const projects = new Map<string, Project>();
  await Promise.all(
    orgs.map(async (org) => {
      const planes = (await reachable(cp<Envelope<{ id: string }[]>>(`/v1/orgs/${org.id}/virtual_dataplanes`)))?.data ?? [];
      const workspaces = (
        await Promise.all(planes.map((plane) => reachable(cp<Envelope<{ id: string; name: string }[]>>(`/v1/virtual_dataplanes/${plane.id}/workspaces`))))
      ).flatMap((answer) => answer?.data ?? []);
      await Promise.all(
        workspaces.map(async (workspace) => {
          const found = (await reachable(cp<Envelope<{ id: string; name: string; description?: string }[]>>(`/v1/workspaces/${workspace.id}/projects`)))?.data ?? [];
          for (const project of found) {
            projects.set(project.id, { ...project, workspaceId: workspace.id, workspaceName: workspace.name, orgId: org.id, orgName: org.name });
          }
        }),
      );
    }),
  );
  // A member invited to one workspace or project cannot list the org's data planes: their grants name what they reach.
  // The control plane does not say which org a workspace or project is in, so that is known only with one org.
  const grants = (await reachable(cp<{ grants?: Grant[] }>("/v1/auth/me")))?.grants ?? [];
  const onlyOrg = orgs.length === 1 ? orgs[0] : null;
  await Promise.all(
    grants.filter((g) => g.scope === "workspace" && ![...projects.values()].some((p) => p.workspaceId === g.id)).map(async (grant) => {
      const workspace = (await reachable(cp<Envelope<{ id: string; name: string }>>(`/v1/workspaces/${grant.id}`)))?.data;
      const found = (await reachable(cp<Envelope<{ id: string; name: string; description?: string }[]>>(`/v1/workspaces/${grant.id}/projects`)))?.data ?? [];
      for (const project of found) {
        projects.set(project.id, { ...project, workspaceId: grant.id, workspaceName: workspace?.name ?? "", orgId: onlyOrg?.id ?? "", orgName: onlyOrg?.name ?? "" });
      }
    }),
  );
  await Promise.all(
    grants.filter((g) => g.scope === "project" && !projects.has(g.id)).map(async (grant) => {
      const project = (await reachable(cp<Envelope<{ id: string; name: string; description?: string }>>(`/v1/projects/${grant.id}`)))?.data;
      if (project) projects.set(project.id, { ...project, workspaceId: "", workspaceName: "", orgId: onlyOrg?.id ?? "", orgName: onlyOrg?.name ?? "" });
    }),
  );
  return [...projects.values()].sort((a, b) => `${a.orgName}/${a.workspaceName}/${a.name}`.localeCompare(`${b.orgName}/${b.workspaceName}/${b.name}`));
}

export function useProjects(enabled = true) {
  return useQuery({ queryKey: ["projects"], queryFn: loadProjects, enabled, staleTime: 60_000 });
}

const lastProjectKey = "hh-last-project";
export function lastProject(): string | null {
  try {
    return localStorage.getItem(lastProjectKey);
  } catch {
    return null;
  }
}
export function rememberProject(id: string) {
  try {
    localStorage.setItem(lastProjectKey, id);
  } catch {
    /* private mode: nothing to remember */
  }
}
