"use client";
// A modal on the native <dialog> element: the browser traps focus inside it, Escape closes it, and the page
// behind is inert, so keyboard users cannot wander off behind the overlay.
import { useEffect, useRef, type ReactNode } from "react";

export function ModalDialog({
  title, onClose, children, wide = false, testId,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      close.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`modal-dialog${wide ? " wide" : ""}`}
      aria-label={title}
      data-testid={testId}
      onMouseDown={(event) => {
        // A press on the backdrop (the dialog box itself, outside its content) closes it.
        if (event.target === ref.current) close.current();
      }}
    >
      <div className="modal-body">
        <div className="row modal-title">
          <h2>{title}</h2>
          <div className="grow" />
          <button type="button" className="link" aria-label="Close" onClick={() => close.current()}>✕</button>
        </div>
        {children}
      </div>
    </dialog>
  );
}
