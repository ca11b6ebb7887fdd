"use client";
// Where the user can look: org → workspace → project, read from the control plane (orgs, their virtual data
// planes, those planes' workspaces, the workspaces' projects). The project in the URL scopes every DP call.
import { useQuery } from "@tanstack/react-query";
import { cp } from "./api";

type Envelope<T> = { data: T };
export type Org = { id: string; name: string; role?: string };
export type Workspace = { id: string; name: string; orgId: string; orgName: string };
export type Project = { id: string; name: string; description?: string; workspaceId: string; workspaceName: string; orgId: string; orgName: string };

export async function loadProjects(): Promise<Project[]> {
  const orgs = (await cp<Envelope<Org[]>>("/v1/orgs")).data;
  const projects: Project[] = [];
  await Promise.all(
    orgs.map(async (org) => {
      const planes = (await cp<Envelope<{ id: string }[]>>(`/v1/orgs/${org.id}/virtual_dataplanes`)).data;
      const workspaces = (
        await Promise.all(planes.map((plane) => cp<Envelope<{ id: string; name: string }[]>>(`/v1/virtual_dataplanes/${plane.id}/workspaces`)))
      ).flatMap((answer) => answer.data);
      await Promise.all(
        workspaces.map(async (workspace) => {
          const found = (await cp<Envelope<{ id: string; name: string; description?: string }[]>>(`/v1/workspaces/${workspace.id}/projects`)).data;
          for (const project of found) {
            projects.push({ ...project, workspaceId: workspace.id, workspaceName: workspace.name, orgId: org.id, orgName: org.name });
          }
        }),
      );
    }),
  );
  return projects.sort((a, b) => `${a.orgName}/${a.workspaceName}/${a.name}`.localeCompare(`${b.orgName}/${b.workspaceName}/${b.name}`));
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
