"use client";
// A modal dialog: focus moves into it on open, Tab stays inside, Escape closes it (unless the dialog holds
// something the user must not lose by accident, like a key shown once), and focus returns where it was.
import { useEffect, useId, useRef, type ReactNode } from "react";

type Props = {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Escape and a click outside close the dialog; false for a dialog that must be closed with its own button. */
  dismissable?: boolean;
  testId?: string;
  wide?: boolean;
};

const focusable = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({ title, onClose, children, dismissable = true, testId, wide }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = box.current?.querySelector<HTMLElement>("[data-autofocus]") ?? box.current?.querySelector<HTMLElement>(focusable);
    first?.focus();
    return () => before?.focus?.();
  }, []);

  function onKeyDown(event: React.KeyboardEvent) {
    if (event.key === "Escape" && dismissable) {
      event.stopPropagation();
      close.current();
      return;
    }
    if (event.key !== "Tab" || !box.current) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(focusable)];
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <div className="modal-backdrop" onMouseDown={(e) => dismissable && e.target === e.currentTarget && close.current()}>
      <div
        ref={box}
        className="modal stack"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
        onKeyDown={onKeyDown}
        style={wide ? { width: "min(860px, 94vw)" } : undefined}
      >
        <h2 id={titleId} style={{ marginTop: 0 }}>{title}</h2>
        {children}
      </div>
    </div>
  );
}

/** "Are you sure?" for what cannot be undone: the action's button is named, and Cancel has the focus. */
export function ConfirmDialog({
  title, children, confirmLabel, onConfirm, onCancel, busy, error, testId,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  error?: ReactNode;
  testId?: string;
}) {
  return (
    <Dialog title={title} onClose={onCancel} testId={testId ?? "confirm-dialog"}>
      <div>{children}</div>
      {error}
      <div className="row" style={{ justifyContent: "flex-end" }}>
        <button type="button" onClick={onCancel} data-autofocus>Cancel</button>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>{busy ? "Working…" : confirmLabel}</button>
      </div>
    </Dialog>
  );
}
