"use client";
// The org's sign-in policy (GET/PUT /v1/orgs/{org_id}/security): require two-factor authentication, require single
// sign-on, and the break-glass admins who may still sign in by password when SSO is required. The org's SSO
// connections are listed beside it, since requiring SSO needs an enabled one (the server says so with a 409).
import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getOrgSecurity, listMembers, listSsoConnections, setOrgSecurity } from "@/lib/settings";
import { usePermissions } from "@/lib/permissions";
import { Loading } from "@/components/Feedback";
import { NeedsPermission, ProblemNotice } from "@/components/ProblemNotice";

export function OrgSecurityTab({ projectId }: { projectId: string }) {
  const { can, project } = usePermissions(projectId);
  const orgId = project?.orgId;
  if (!orgId) return <Loading label="Loading the organization…" />;
  return <OrgSecurityForm orgId={orgId} orgName={project.orgName} mayManage={can("security:manage", "org")} />;
}

function OrgSecurityForm({ orgId, orgName, mayManage }: { orgId: string; orgName?: string; mayManage?: boolean }) {
  const queryClient = useQueryClient();
  const policy = useQuery({ queryKey: ["org-security", orgId], queryFn: () => getOrgSecurity(orgId), retry: false });
  const members = useQuery({ queryKey: ["members", orgId], queryFn: () => listMembers(orgId), enabled: policy.isSuccess });
  const connections = useQuery({ queryKey: ["sso-connections", orgId], queryFn: () => listSsoConnections(orgId), enabled: policy.isSuccess, retry: false });
  const [requireMfa, setRequireMfa] = useState(false);
  const [requireSso, setRequireSso] = useState(false);
  const [breakGlass, setBreakGlass] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (!policy.data) return;
    setRequireMfa(policy.data.require_mfa);
    setRequireSso(policy.data.require_sso);
    setBreakGlass(policy.data.break_glass_user_ids);
  }, [policy.data]);

  const save = useMutation({
    mutationFn: () => setOrgSecurity(orgId, { require_mfa: requireMfa, require_sso: requireSso, break_glass_user_ids: breakGlass }),
    onSuccess: (updated) => {
      queryClient.setQueryData(["org-security", orgId], updated);
      setSaved(true);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    save.mutate();
  }

  const toggle = (userId: string) => {
    setSaved(false);
    setBreakGlass((ids) => (ids.includes(userId) ? ids.filter((id) => id !== userId) : [...ids, userId]));
  };
  // Only someone who could fix the policy is worth keeping a password way in for: the server checks security:manage.
  const admins = (members.data ?? []).filter((m) => m.role === "owner" || m.role === "admin" || breakGlass.includes(m.user_id));

  if (policy.isLoading) return <Loading label="Loading the sign-in policy…" />;
  if (policy.error) return <ProblemNotice error={policy.error} what="read the organization's sign-in policy" />;
  return (
    <div className="stack" data-testid="org-security-settings" style={{ maxWidth: 820 }}>
      <form className="card stack" onSubmit={submit} aria-label="Organization sign-in policy">
        <h2 style={{ margin: 0 }}>Sign-in policy{orgName ? ` of ${orgName}` : ""}</h2>
        <label className="check">
          <input type="checkbox" checked={requireMfa} disabled={mayManage === false} data-testid="require-mfa"
            onChange={(e) => { setRequireMfa(e.target.checked); setSaved(false); }} />
          Require two-factor authentication: members without it set it up at their next sign-in.
        </label>
        <label className="check">
          <input type="checkbox" checked={requireSso} disabled={mayManage === false} data-testid="require-sso"
            onChange={(e) => { setRequireSso(e.target.checked); setSaved(false); }} />
          Require single sign-on: password sign-in, password reset and API keys from password sessions close for members.
        </label>
        <fieldset className="plain">
          <legend>Break-glass accounts (1 to 5 admins who may still sign in by password and their second factor; each such sign-in is audited)</legend>
          {members.isLoading && <Loading label="Loading members…" />}
          {admins.map((m) => (
            <label key={m.user_id} className="check">
              <input type="checkbox" checked={breakGlass.includes(m.user_id)} disabled={mayManage === false}
                onChange={() => toggle(m.user_id)} data-testid={`break-glass-${m.email}`} />
              {m.name ? `${m.name} · ` : ""}{m.email} <span className="muted small">({m.role})</span>
            </label>
          ))}
        </fieldset>
        {save.error && <ProblemNotice error={save.error} what="save the sign-in policy" />}
        {saved && <div className="notice" role="status" data-testid="org-security-saved">Saved.</div>}
        <div className="row">
          <button type="submit" className="primary" disabled={mayManage === false || save.isPending} data-testid="org-security-save">
            {save.isPending ? "Saving…" : "Save"}
          </button>
          {mayManage === false && <NeedsPermission permission="security:manage" />}
        </div>
      </form>

      <section className="card stack" aria-labelledby="sso-heading">
        <h2 id="sso-heading" style={{ margin: 0 }}>Single sign-on connections</h2>
        {connections.isLoading && <Loading label="Loading connections…" />}
        {connections.error && <ProblemNotice error={connections.error} what="read the SSO connections" />}
        {connections.data && connections.data.length === 0 && (
          <p className="muted" data-testid="sso-none">
            No SSO connection yet. Create one with <code>POST /v1/orgs/{orgId}/sso_connections</code> (README, “Connect an OIDC provider”);
            single sign-on can be required once one is enabled.
          </p>
        )}
        {connections.data && connections.data.length > 0 && (
          <table aria-label="SSO connections" data-testid="sso-connections">
            <thead><tr><th>Name</th><th>Protocol</th><th>Email domains</th><th>New users get</th><th>State</th></tr></thead>
            <tbody>
              {connections.data.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.protocol.toUpperCase()}</td>
                  <td>{c.email_domains.join(", ") || <span className="muted">none</span>}</td>
                  <td>{c.default_role}</td>
                  <td>{c.enabled ? "Enabled" : "Disabled"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
