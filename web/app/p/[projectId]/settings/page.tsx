"use client";
// Settings: API keys, members and roles, provider keys, the project, the user's own two-factor authentication and the
// org's sign-in policy. The tab is in the URL (?tab=keys), so each
// one is a link; arrow keys move between tabs, as a tablist should.
import { Suspense, useRef, type KeyboardEvent } from "react";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { Loading } from "@/components/Feedback";
import { ApiKeysTab } from "./ApiKeysTab";
import { MembersTab } from "./MembersTab";
import { ProvidersTab } from "./ProvidersTab";
import { ProjectTab } from "./ProjectTab";
import { SecurityTab } from "./SecurityTab";
import { OrgSecurityTab } from "./OrgSecurityTab";

const tabs = [
  { key: "keys", label: "API keys" },
  { key: "members", label: "Members and roles" },
  { key: "providers", label: "Provider keys" },
  { key: "project", label: "Project" },
  { key: "security", label: "Two-factor authentication" },
  { key: "org-security", label: "Organization security" },
] as const;
type TabKey = (typeof tabs)[number]["key"];

function Settings() {
  const { projectId } = useParams<{ projectId: string }>();
  const router = useRouter();
  const pathname = usePathname();
  const requested = useSearchParams().get("tab");
  const tab: TabKey = tabs.some((t) => t.key === requested) ? (requested as TabKey) : "keys";
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);

  function go(key: TabKey) {
    router.replace(`${pathname}?tab=${key}`, { scroll: false });
  }

  function onKey(event: KeyboardEvent, index: number) {
    const next = event.key === "ArrowRight" ? index + 1 : event.key === "ArrowLeft" ? index - 1 : event.key === "Home" ? 0 : event.key === "End" ? tabs.length - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const wrapped = (next + tabs.length) % tabs.length;
    buttons.current[wrapped]?.focus();
    go(tabs[wrapped].key);
  }

  return (
    <div className="stack settings" style={{ maxWidth: 1200 }}>
      <h1>Settings</h1>
      <div className="tabs" role="tablist" aria-label="Settings">
        {tabs.map((t, i) => (
          <button
            key={t.key}
            ref={(el) => { buttons.current[i] = el; }}
            type="button"
            role="tab"
            id={`settings-tab-${t.key}`}
            aria-selected={tab === t.key}
            aria-controls="settings-panel"
            tabIndex={tab === t.key ? 0 : -1}
            className={tab === t.key ? "active" : ""}
            data-testid={`settings-tab-${t.key}`}
            onClick={() => go(t.key)}
            onKeyDown={(e) => onKey(e, i)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="settings-panel" aria-labelledby={`settings-tab-${tab}`}>
        {tab === "keys" && <ApiKeysTab projectId={projectId} />}
        {tab === "members" && <MembersTab projectId={projectId} />}
        {tab === "providers" && <ProvidersTab projectId={projectId} />}
        {tab === "project" && <ProjectTab projectId={projectId} />}
        {tab === "security" && <SecurityTab />}
        {tab === "org-security" && <OrgSecurityTab projectId={projectId} />}
      </div>
    </div>
  );
}

export default function SettingsPage() {
  return (
    <Suspense fallback={<Loading />}>
      <Settings />
    </Suspense>
  );
}
