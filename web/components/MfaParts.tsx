"use client";
// The parts of setting up two-factor authentication, at sign-in and in the settings: the QR code and secret of a new
// authenticator, and the recovery codes, shown once (the server keeps only their hashes).
import type { MfaEnrollment } from "@/lib/auth";
import { CopyButton } from "./CopyButton";

export function RecoveryCodeList({ codes }: { codes: string[] }) {
  return (
    <div className="stack" data-testid="recovery-codes">
      <p>Each code signs you in once if you lose your authenticator. Keep them somewhere safe: they will not be shown again.</p>
      <ul className="stack" style={{ listStyle: "none", padding: 0, fontFamily: "monospace", columns: 2 }}>
        {codes.map((c) => <li key={c} data-testid="recovery-code">{c}</li>)}
      </ul>
      <CopyButton value={codes.join("\n")} label="Copy the codes" />
    </div>
  );
}

/** The QR code to scan, and the secret for apps that take it typed in. */
export function AuthenticatorSetup({ enrollment }: { enrollment: MfaEnrollment }) {
  return (
    <div className="stack" data-testid="mfa-setup">
      <p>Scan this code with an authenticator app (1Password, Google Authenticator, Authy…), then enter the 6-digit code it shows.</p>
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img src={enrollment.qr_code} alt="QR code of the authenticator secret" width={200} height={200} data-testid="mfa-qr" style={{ background: "#fff", padding: 8 }} />
      <p className="small">Or type this key into the app: <code data-testid="mfa-secret">{enrollment.secret}</code></p>
    </div>
  );
}

