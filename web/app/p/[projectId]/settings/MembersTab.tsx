"use client";
// The org's members with their org-wide role and their role in this project (a binding), invitations (the accept
// link shown once), and the roles with their permissions. Members belong to the org; a project role adds to the
// org role, never takes from it.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  acceptLink, builtInRoles, createInvitation, listInvitations, listMembers, listRoles, removeBinding, removeMember, revokeInvitation,
  setBinding, setMemberRole, type CreatedInvitation, type Invitation, type Member,
} from "@/lib/settings";
import { useAuth } from "@/lib/auth";
import { usePermissions } from "@/lib/permissions";
import { useProjects } from "@/lib/tenancy";
import { formatTime } from "@/lib/format";
import { EmptyState, Loading } from "@/components/Feedback";
import { NeedsPermission, ProblemNotice } from "@/components/ProblemNotice";
import { ConfirmDialog, Dialog } from "@/components/Dialog";
import { CopyButton } from "@/components/CopyButton";

export function MembersTab({ projectId }: { projectId: string }) {
  const { can, project } = usePermissions(projectId);
  if (!project) return <Loading label="Loading the project's organization…" />;
  const orgId = project.orgId;
  if (!orgId) {
    return (
      <EmptyState title="Members are managed by the organization">
        <p>Your account reaches this project through a project or workspace role only, so it cannot see the organization&apos;s members.
          Ask an org owner or admin to invite people or change roles.</p>
      </EmptyState>
    );
  }
  return (
    <div className="stack" data-testid="members">
      <p className="muted" style={{ margin: 0 }}>
        Members belong to the organization <strong>{project.orgName}</strong>. Their org role applies to every workspace and project;
        a role in this project adds to it here.
      </p>
      {can("members:manage") === false
        ? <div className="notice small" data-testid="cannot-invite">Inviting people here needs the <code>members:manage</code> permission on this project, its workspace or the organization.</div>
        : <InviteForm orgId={orgId} projectId={projectId} workspaceId={project.workspaceId} mayInvite={can("members:manage")} />}
      {can("members:read", "org") === false ? (
        <EmptyState title="The member list is the organization's">
          <p>Seeing who is in <strong>{project.orgName}</strong> and their roles needs the <code>members:read</code> permission on the organization
            (the org roles owner, admin, member and viewer have it). Ask an org admin.</p>
        </EmptyState>
      ) : (
        <>
          <MembersTable orgId={orgId} projectId={projectId} workspaceId={project.workspaceId} mayManage={can("members:manage", "org")} mayBind={can("members:manage")} />
          {can("members:manage", "org") === false
            ? <p className="muted small" style={{ margin: 0 }}>Pending invitations are listed to those with <code>members:manage</code> on the organization.</p>
            : <Invitations orgId={orgId} projectId={projectId} workspaceId={project.workspaceId} names={{ org: project.orgName, workspace: project.workspaceName, project: project.name }} />}
        </>
      )}
      {can("roles:manage", "org") === false
        ? <p className="muted small" style={{ margin: 0 }}>The roles and their permissions are listed to those with <code>roles:manage</code> on the organization. Built-in roles: owner, admin, member, viewer.</p>
        : <Roles orgId={orgId} />}
    </div>
  );
}

/** The role names to offer: the org's (built-in and custom) when they may be listed, else the built-in ones. */
function useRoleNames(orgId: string) {
  const roles = useQuery({ queryKey: ["roles", orgId], queryFn: () => listRoles(orgId), retry: false });
  return { roles, names: roles.data?.map((r) => r.name) ?? builtInRoles };
}

function MembersTable({ orgId, projectId, workspaceId, mayManage, mayBind }: { orgId: string; projectId: string; workspaceId: string; mayManage?: boolean; mayBind?: boolean }) {
  const queryClient = useQueryClient();
  const { me } = useAuth();
  const members = useQuery({ queryKey: ["members", orgId], queryFn: () => listMembers(orgId) });
  const projects = useProjects();
  const scopeName = (type: string, id: string) =>
    (type === "project" ? projects.data?.find((p) => p.id === id)?.name : projects.data?.find((p) => p.workspaceId === id)?.workspaceName) ?? `${id.slice(0, 8)}…`;
  const { names } = useRoleNames(orgId);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: ["members", orgId] });
  const change = useMutation({
    mutationFn: async (change: { member: Member; kind: "org" | "project"; role: string }) => {
      if (change.kind === "org") return setMemberRole(orgId, change.member.user_id, change.role || null);
      if (change.role) return setBinding(orgId, change.member.user_id, { scope_type: "project", scope_id: projectId, role: change.role });
      return removeBinding(orgId, change.member.user_id, "project", projectId);
    },
    onSuccess: async (member, variables) => {
      setSaved(`${member.email}: ${variables.kind === "org" ? "org role" : "role in this project"} ${variables.role ? `set to ${variables.role}` : "removed"}.`);
      await refresh();
    },
    onError: () => setSaved(null),
  });
  const remove = useMutation({
    mutationFn: (member: Member) => removeMember(orgId, member.user_id),
    onSuccess: async (member) => {
      setRemoving(null);
      setSaved(`${member.email} was removed from the organization.`);
      await refresh();
    },
  });

  return (
    <section className="stack" aria-labelledby="members-heading">
      <h2 id="members-heading" style={{ margin: 0 }}>Members</h2>
      {members.isLoading && <Loading label="Loading members…" />}
      {members.error && <ProblemNotice error={members.error} what="list the organization's members" />}
      {change.error && <ProblemNotice error={change.error} what="change the role" />}
      {saved && <div className="notice" role="status" data-testid="member-saved">{saved}</div>}
      {members.data && members.data.length === 0 && <EmptyState title="No members yet"><p>Invite someone above.</p></EmptyState>}
      {members.data && members.data.length > 0 && (
        <div className="card" style={{ padding: 0, overflowX: "auto" }}>
          <table aria-label="Members">
            <thead><tr><th>Member</th><th>Org role</th><th>Role in this project</th><th>Other roles</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {members.data.map((member) => {
                const here = member.bindings.find((b) => b.scope_type === "project" && b.scope_id === projectId);
                const others = member.bindings.filter((b) => b !== here);
                const self = me?.id === member.user_id;
                const options = (current: string | null | undefined) => [...new Set([...(current ? [current] : []), ...names])];
                return (
                  <tr key={member.user_id} data-testid="member-row" data-email={member.email}>
                    <td>
                      <div>{member.name || member.email}{self && <span className="muted"> (you)</span>}</div>
                      {member.name && <div className="muted small">{member.email}</div>}
                    </td>
                    <td>
                      <select
                        aria-label={`Org role of ${member.email}`}
                        data-testid="member-org-role"
                        value={member.role ?? ""}
                        disabled={mayManage === false || change.isPending}
                        onChange={(e) => change.mutate({ member, kind: "org", role: e.target.value })}
                      >
                        <option value="">(none)</option>
                        {options(member.role).map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    </td>
                    <td>
                      <select
                        aria-label={`Role of ${member.email} in this project`}
                        data-testid="member-project-role"
                        value={here?.role ?? ""}
                        disabled={mayBind === false || change.isPending}
                        onChange={(e) => change.mutate({ member, kind: "project", role: e.target.value })}
                      >
                        <option value="">(org role only)</option>
                        {options(here?.role).filter((r) => r !== "owner").map((r) => <option key={r} value={r}>{r}</option>)}
                      </select>
                    </td>
                    <td className="small">
                      {others.length === 0 ? <span className="muted">—</span> : others.map((b) => (
                        <div key={`${b.scope_type}:${b.scope_id}`}>
                          {b.role} on {b.scope_type === "workspace" && b.scope_id === workspaceId ? "this workspace" : `${b.scope_type} ${scopeName(b.scope_type, b.scope_id)}`}
                        </div>
                      ))}
                    </td>
                    <td>
                      <button type="button" className="danger" disabled={mayManage === false} onClick={() => { remove.reset(); setRemoving(member); }}
                        aria-label={`Remove ${member.email}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {mayManage === false && <NeedsPermission permission="members:manage" />}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email}?`}
          confirmLabel="Remove member"
          busy={remove.isPending}
          onCancel={() => setRemoving(null)}
          onConfirm={() => remove.mutate(removing)}
          error={remove.error ? <ProblemNotice error={remove.error} what="remove the member" /> : undefined}
          testId="remove-member-dialog"
        >
          <p>They lose their org role and every role in the org&apos;s workspaces and projects. Their account stays; they can be invited again.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function InviteForm({ orgId, projectId, workspaceId, mayInvite }: { orgId: string; projectId: string; workspaceId: string; mayInvite?: boolean }) {
  const queryClient = useQueryClient();
  const { names } = useRoleNames(orgId);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("member");
  const [scope, setScope] = useState<"project" | "workspace" | "org">("project");
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const invite = useMutation({
    mutationFn: () =>
      createInvitation(orgId, {
        email: email.trim(),
        role,
        scope_type: scope,
        ...(scope === "org" ? {} : { scope_id: scope === "project" ? projectId : workspaceId }),
      }),
    onSuccess: (invitation) => {
      setCreated(invitation);
      setEmail("");
      invite.reset(); // the token lives only in the dialog
      void queryClient.invalidateQueries({ queryKey: ["invitations", orgId] });
    },
  });
  const roleChoices = names.filter((r) => scope === "org" || r !== "owner");

  function submit(event: FormEvent) {
    event.preventDefault();
    if (email.trim()) invite.mutate();
  }

  return (
    <>
    <form className="card stack" onSubmit={submit} aria-label="Invite a member" data-testid="invite-form">
      <h2 style={{ margin: 0 }}>Invite someone</h2>
      <div className="row" style={{ alignItems: "flex-end" }}>
        <label style={{ minWidth: 260 }}>Email
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} placeholder="name@example.com" disabled={mayInvite === false} />
        </label>
        <label>Role
          <select value={roleChoices.includes(role) ? role : "member"} onChange={(e) => setRole(e.target.value)} disabled={mayInvite === false} aria-label="Invitation role">
            {roleChoices.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>
        <label>Where
          <select value={scope} onChange={(e) => setScope(e.target.value as typeof scope)} disabled={mayInvite === false} aria-label="Invitation scope">
            <option value="project">This project</option>
            {workspaceId && <option value="workspace">This workspace</option>}
            <option value="org">The whole organization</option>
          </select>
        </label>
        <button className="primary" type="submit" disabled={mayInvite === false || invite.isPending || !email.trim()}>
          {invite.isPending ? "Inviting…" : "Send invitation"}
        </button>
      </div>
      {mayInvite === false && <NeedsPermission permission="members:manage" />}
      {invite.error && <ProblemNotice error={invite.error} what="invite" />}
    </form>
    {created && <InvitationDialog invitation={created} onClose={() => setCreated(null)} />}
    </>
  );
}

function InvitationDialog({ invitation, onClose }: { invitation: CreatedInvitation; onClose: () => void }) {
  const link = acceptLink(invitation.accept_token);
  return (
    <Dialog title={`Invitation for ${invitation.email}`} onClose={onClose} dismissable={false} testId="invitation-dialog">
      <div className="notice warn-notice" role="alert">
        <strong>This link is shown once.</strong> Send it to {invitation.email} (if mail is set up, it was also emailed).
        It works until {formatTime(invitation.expires_at)}; revoke the invitation below if it goes astray.
      </div>
      <label>Accept link
        <div className="row" style={{ flexWrap: "nowrap" }}>
          <input readOnly value={link} className="mono" style={{ flex: 1 }} data-testid="invitation-link" aria-label="Accept link" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton value={link} label="Copy link" />
        </div>
      </label>
      <p className="muted small" style={{ margin: 0 }}>
        The invitee opens it, picks a name and password (or signs in, if the email already has an account) and becomes <strong>{invitation.role}</strong> of
        this {invitation.scope_type}. Through the API: <code>POST /v1/invitations/accept</code> with the token.
      </p>
      <div className="row" style={{ justifyContent: "flex-end" }}>
        <button type="button" className="primary" onClick={onClose}>Done</button>
      </div>
    </Dialog>
  );
}

function Invitations({ orgId, projectId, workspaceId, names }: { orgId: string; projectId: string; workspaceId: string; names: { org: string; workspace: string; project: string } }) {
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: ["invitations", orgId], queryFn: () => listInvitations(orgId), retry: false });
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const revoke = useMutation({
    mutationFn: (invitation: Invitation) => revokeInvitation(orgId, invitation.id),
    onSuccess: async () => {
      setRevoking(null);
      await queryClient.invalidateQueries({ queryKey: ["invitations", orgId] });
    },
  });
  const where = (i: Invitation) =>
    i.scope_type === "org" ? `org ${names.org}`
    : i.scope_type === "workspace" ? (i.scope_id === workspaceId ? `workspace ${names.workspace}` : `workspace ${i.scope_id.slice(0, 8)}…`)
    : i.scope_id === projectId ? `project ${names.project}` : `project ${i.scope_id.slice(0, 8)}…`;
  const shown = (invitations.data ?? []).filter((i) => i.status === "pending" || Date.now() - new Date(i.created_at).getTime() < 7 * 86_400_000);

  return (
    <section className="stack" aria-labelledby="invitations-heading">
      <h2 id="invitations-heading" style={{ margin: 0 }}>Invitations</h2>
      {invitations.isLoading && <Loading label="Loading invitations…" />}
      {invitations.error && <ProblemNotice error={invitations.error} what="list the invitations" />}
      {invitations.data && shown.length === 0 && <p className="muted" style={{ margin: 0 }}>No pending invitations.</p>}
      {shown.length > 0 && (
        <div className="card" style={{ padding: 0, overflowX: "auto" }}>
          <table aria-label="Invitations">
            <thead><tr><th>Email</th><th>Role</th><th>Where</th><th>Status</th><th>Expires</th><th><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {shown.map((i) => (
                <tr key={i.id} data-testid="invitation-row" data-email={i.email}>
                  <td>{i.email}</td>
                  <td>{i.role}</td>
                  <td>{where(i)}</td>
                  <td data-testid="invitation-status"><span className={i.status === "pending" ? "warn" : i.status === "accepted" ? "good" : "muted"}>{i.status}</span></td>
                  <td className="nowrap">{formatTime(i.expires_at)}</td>
                  <td>{i.status === "pending" && <button type="button" className="danger" onClick={() => { revoke.reset(); setRevoking(i); }} aria-label={`Revoke the invitation of ${i.email}`}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the invitation of ${revoking.email}?`}
          confirmLabel="Revoke invitation"
          busy={revoke.isPending}
          onCancel={() => setRevoking(null)}
          onConfirm={() => revoke.mutate(revoking)}
          error={revoke.error ? <ProblemNotice error={revoke.error} what="revoke the invitation" /> : undefined}
        >
          <p>Its link stops working. You can invite the same email again.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function Roles({ orgId }: { orgId: string }) {
  const { roles } = useRoleNames(orgId);
  return (
    <section className="stack" aria-labelledby="roles-heading">
      <h2 id="roles-heading" style={{ margin: 0 }}>Roles</h2>
      {roles.isLoading && <Loading label="Loading roles…" />}
      {roles.error && <ProblemNotice error={roles.error} what="list the organization's roles" />}
      {roles.data && (
        <div className="grid-cards">
          {roles.data.map((role) => (
            <details key={role.name} className="section" data-testid="role-card">
              <summary>
                {role.name} {role.built_in ? <span className="badge">built-in</span> : <span className="badge">custom</span>}{" "}
                <span className="muted small" style={{ fontWeight: 400 }}>{role.permissions.length} permissions</span>
              </summary>
              <div className="stack" style={{ gap: 6 }}>
                {role.description && <div className="muted">{role.description}</div>}
                <div className="row" style={{ gap: 4 }}>{role.permissions.map((p) => <code key={p} className="badge">{p}</code>)}</div>
              </div>
            </details>
          ))}
        </div>
      )}
    </section>
  );
}
