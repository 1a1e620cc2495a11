/**
 * A modal dialog's keyboard contract (WAI-ARIA APG "Dialog (Modal)"): the focus moves into the
 * dialog when it opens, Tab and Shift+Tab cycle inside it, the page behind is inert (neither
 * focusable nor read by a screen reader), and the focus returns to where it was on close.
 * Escape is each dialog's own business: what closing means differs.
 */
const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  '[tabindex]:not([tabindex="-1"])',
].join(",");

function focusables(node: HTMLElement): HTMLElement[] {
  return [...node.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
}

/** Svelte action for the element with role="dialog"; give it tabindex="-1" as a last resort. */
export function trapFocus(node: HTMLElement): { destroy(): void } {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;

  // Everything beside the dialog's top-level container becomes inert while it is open.
  let top: HTMLElement = node;
  while (top.parentElement !== null && top.parentElement !== document.body && top.parentElement.id !== "app")
    top = top.parentElement;
  const madeInert = [...(top.parentElement?.children ?? [])].filter(
    (el): el is HTMLElement => el instanceof HTMLElement && el !== top && !el.inert,
  );
  for (const el of madeInert) el.inert = true;

  function onKey(event: KeyboardEvent): void {
    if (event.key !== "Tab") return;
    const items = focusables(node);
    const active = document.activeElement;
    if (items.length === 0) {
      event.preventDefault();
      node.focus();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (active === first || !node.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !node.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  // A field the dialog focuses itself (the password) keeps it; otherwise its first control.
  queueMicrotask(() => {
    if (!node.contains(document.activeElement)) (focusables(node)[0] ?? node).focus();
  });
  document.addEventListener("keydown", onKey, true);

  return {
    destroy() {
      document.removeEventListener("keydown", onKey, true);
      for (const el of madeInert) el.inert = false;
      if (opener?.isConnected && opener !== document.body) opener.focus();
    },
  };
}
