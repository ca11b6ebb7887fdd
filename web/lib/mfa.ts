// The signed-in user's two-factor authentication (services/ControlPlane.Api/Mfa/MfaApi.cs).
import { cp } from "./api";
import type { MfaEnrollment } from "./auth";

export type MfaStatus = {
  enabled: boolean;
  pending: boolean;
  confirmed_at: string | null;
  recovery_codes_remaining: number;
  /** Orgs of the user that require MFA: it cannot be turned off while they are a member. */
  required_by: { id: string; name: string }[];
};

export const getMfa = () => cp<MfaStatus>("/v1/auth/mfa");

export const startMfa = () => cp<MfaEnrollment>("/v1/auth/mfa/totp", { method: "POST" });

export const confirmMfa = (code: string) =>
  cp<{ recovery_codes: string[] }>("/v1/auth/mfa/totp/confirm", { method: "POST", body: { code } }).then((a) => a.recovery_codes);

export const renewRecoveryCodes = (code: string) =>
  cp<{ recovery_codes: string[] }>("/v1/auth/mfa/recovery_codes", { method: "POST", body: { code } }).then((a) => a.recovery_codes);

export const disableMfa = (proof: { code: string } | { password: string }) => cp<void>("/v1/auth/mfa/disable", { method: "POST", body: proof });
