"use client";
// The signed-in user's two-factor authentication: turn it on (QR code, first code, recovery codes shown once),
// renew the recovery codes, turn it off. It belongs to the account, not the project; it sits with the settings.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { confirmMfa, disableMfa, getMfa, renewRecoveryCodes, startMfa } from "@/lib/mfa";
import type { MfaEnrollment } from "@/lib/auth";
import { formatTime } from "@/lib/format";
import { Loading } from "@/components/Feedback";
import { ProblemNotice } from "@/components/ProblemNotice";
import { AuthenticatorSetup, RecoveryCodeList } from "@/components/MfaParts";

export function SecurityTab() {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ["mfa"], queryFn: getMfa });
  const [enrollment, setEnrollment] = useState<MfaEnrollment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["mfa"] });

  const start = useMutation({ mutationFn: startMfa, onSuccess: (e) => { setCodes(null); setEnrollment(e); } });

  return (
    <div className="stack" data-testid="security-settings" style={{ maxWidth: 720 }}>
      <div className="card stack">
        <h2 style={{ margin: 0 }}>Two-factor authentication</h2>
        {status.isLoading && <Loading label="Loading…" />}
        {status.error && <ProblemNotice error={status.error} what="read your two-factor settings" />}
        {status.data && (
          <p data-testid="mfa-state">
            {status.data.enabled
              ? <>On since {formatTime(status.data.confirmed_at!)}; {status.data.recovery_codes_remaining} recovery codes left.</>
              : <>Off: your password alone signs you in.</>}
            {status.data.required_by.length > 0 && <span className="muted"> Required by {status.data.required_by.map((o) => o.name).join(", ")}.</span>}
          </p>
        )}
        {codes && <RecoveryCodeList codes={codes} />}
        {status.data && !status.data.enabled && !enrollment && (
          <div>
            <button className="primary" type="button" onClick={() => start.mutate()} disabled={start.isPending} data-testid="mfa-start">Set up an authenticator app</button>
            {start.error && <ProblemNotice error={start.error} what="start the setup" />}
          </div>
        )}
        {enrollment && (
          <ConfirmForm enrollment={enrollment} onConfirmed={(c) => { setEnrollment(null); setCodes(c); void refresh(); }} />
        )}
        {status.data?.enabled && <EnabledActions required={status.data.required_by.length > 0} onCodes={setCodes} onDisabled={() => { setCodes(null); void refresh(); }} />}
      </div>
    </div>
  );
}

function ConfirmForm({ enrollment, onConfirmed }: { enrollment: MfaEnrollment; onConfirmed: (codes: string[]) => void }) {
  const [code, setCode] = useState("");
  const confirm = useMutation({ mutationFn: () => confirmMfa(code.replace(/\s/g, "")), onSuccess: onConfirmed });
  function submit(event: FormEvent) {
    event.preventDefault();
    confirm.mutate();
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="Confirm the authenticator">
      <AuthenticatorSetup enrollment={enrollment} />
      <label>Code from the app
        <input name="code" data-testid="mfa-code" required inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      {confirm.error && <ProblemNotice error={confirm.error} what="turn on two-factor authentication" />}
      <button className="primary" type="submit" disabled={confirm.isPending} data-testid="mfa-confirm">Turn on</button>
    </form>
  );
}

/** Renewing recovery codes needs a current code; turning it off a code or the password. */
function EnabledActions({ required, onCodes, onDisabled }: { required: boolean; onCodes: (codes: string[]) => void; onDisabled: () => void }) {
  const [code, setCode] = useState("");
  const [password, setPassword] = useState("");
  const renew = useMutation({ mutationFn: () => renewRecoveryCodes(code.replace(/\s/g, "")), onSuccess: (c) => { setCode(""); onCodes(c); } });
  const disable = useMutation({
    mutationFn: () => disableMfa(password ? { password } : { code: code.replace(/\s/g, "") }),
    onSuccess: () => { setCode(""); setPassword(""); onDisabled(); },
  });
  return (
    <div className="stack">
      <label>Code from the app
        <input name="code" data-testid="mfa-action-code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(e) => setCode(e.target.value)} />
      </label>
      <label>Or your password (to turn it off)
        <input type="password" name="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <div className="row">
        <button type="button" onClick={() => renew.mutate()} disabled={!code || renew.isPending}>New recovery codes</button>
        <button type="button" className="danger" onClick={() => disable.mutate()} disabled={required || (!code && !password) || disable.isPending} data-testid="mfa-disable"
          title={required ? "An org you belong to requires two-factor authentication" : undefined}>
          Turn off
        </button>
      </div>
      {renew.error && <ProblemNotice error={renew.error} what="renew the recovery codes" />}
      {disable.error && <ProblemNotice error={disable.error} what="turn off two-factor authentication" />}
    </div>
  );
}
