import Link from "next/link";

export default function NoProject() {
  return (
    <div className="login card stack">
      <h1>No project yet</h1>
      <p>Your account has no project it can read. Ask an org admin to invite you to one, or create a project through the control-plane API (<code>POST /v1/workspaces/&#123;id&#125;/projects</code>).</p>
      <Link href="/login">Back to sign-in</Link>
    </div>
  );
}
