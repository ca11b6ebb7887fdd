"use client";
// Every page of a project: the sidebar, the org / workspace / project switcher, the theme and the user.
// The project id in the URL scopes the data plane calls (x-hh-project-id), so every link is shareable.
import { use, useEffect, type ReactNode } from "react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useAuth } from "@/lib/auth";
import { setCurrentProject } from "@/lib/api";
import { rememberProject, useProjects } from "@/lib/tenancy";
import { ErrorNotice, Loading } from "@/components/Feedback";
import { ThemeToggle } from "@/components/ThemeToggle";

// Not prefetched: nine sections rendered ahead on every page load competed with the page's own reads for the
// server and the two cores: a full navigation to a 1,000-span trace took ~1,000 ms p50 with them, ~400 ms without.
const nav = [
  ["sessions", "Sessions"],
  ["events", "Events"],
  ["dashboard", "Dashboard"],
  ["datasets", "Datasets"],
  ["experiments", "Experiments"],
  ["evaluators", "Evaluators"],
  ["queues", "Annotation queues"],
  ["playground", "Playground"],
  ["settings", "Settings"],
] as const;

export default function ProjectLayout({ children, params }: { children: ReactNode; params: Promise<{ projectId: string }> }) {
  const { projectId } = use(params);
  const { state, me, signOut } = useAuth();
  const router = useRouter();
  const pathname = usePathname();
  const projects = useProjects(state === "signed-in");

  // Set during render, not in an effect: the children's first queries must already carry the project.
  setCurrentProject(projectId);
  useEffect(() => {
    if (state === "signed-out") router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [state, router, pathname]);
  useEffect(() => rememberProject(projectId), [projectId]);

  if (state === "expired") return <Loading label="Your session has expired…" />;
  if (state !== "signed-in") return <Loading label="Checking your sign-in…" />;
  const current = projects.data?.find((p) => p.id === projectId);
  const section = pathname.split("/")[3] ?? "sessions";

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Sections">
        <div className="brand">HoneyHive-CS</div>
        {nav.map(([href, label]) => (
          <Link key={href} href={`/p/${projectId}/${href}`} prefetch={false} className={section === href ? "active" : ""} aria-current={section === href ? "page" : undefined}>
            {label}
          </Link>
        ))}
        <div className="spacer" />
        <div className="muted small" style={{ padding: "0 8px" }} title={me?.email}>{me?.email}</div>
        <ThemeToggle />
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </nav>
      <div className="main">
        <header className="topbar">
          <label className="row" style={{ flexDirection: "row", alignItems: "center" }}>
            <span>Project</span>
            <select
              aria-label="Project"
              value={projectId}
              onChange={(e) => router.push(`/p/${e.target.value}/${section}`)}
              disabled={!projects.data}
            >
              {!current && <option value={projectId}>{projects.isLoading ? "Loading projects…" : projectId}</option>}
              {projects.data?.map((p) => (
                <option key={p.id} value={p.id}>{[p.orgName, p.workspaceName, p.name].filter(Boolean).join(" / ")}</option>
              ))}
            </select>
          </label>
          <div className="grow" />
          {current && <span className="muted small">{[current.orgName && `org ${current.orgName}`, current.workspaceName && `workspace ${current.workspaceName}`].filter(Boolean).join(" · ")}</span>}
        </header>
        <main className="content">
          {projects.error && <ErrorNotice error={projects.error} what="list your projects" />}
          {projects.data && !current && <ErrorNotice error={new Error(`Project ${projectId} does not exist or you cannot see it.`)} />}
          {children}
        </main>
      </div>
    </div>
  );
}
