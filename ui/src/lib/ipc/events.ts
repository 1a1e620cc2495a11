// Events pushed by the shell. Listening never throws: outside Tauri (plain
// `vite dev`) there are simply no events.
import { listen } from "@tauri-apps/api/event";
import type { FetchFailure } from "./bindings/FetchFailure";
import type { FetchProgress } from "./bindings/FetchProgress";
import type { FetchReport } from "./bindings/FetchReport";
import type { DesktopRequest } from "./bindings/DesktopRequest";

export type Unlisten = () => void;

export const MAIL_ARRIVED = "mail-arrived";
export const FETCH_PROGRESS = "fetch-progress";
export const FETCH_FAILED = "fetch-failed";
export const FETCH_FINISHED = "fetch-finished";
export const OUTBOX_CHANGED = "outbox-changed";
export const DRAFTS_CHANGED = "drafts-changed";
export const LINK_REQUESTED = "link-requested";
export const DESKTOP_REQUEST = "desktop-request";

/** Called after any fetch that stored new mail. */
export async function onMailArrived(handler: (report: FetchReport) => void): Promise<Unlisten> {
  try {
    return await listen<FetchReport>(MAIL_ARRIVED, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}

/** "n of N" for every fetch, including the scheduled checks the UI did not start. */
export async function onFetchProgress(handler: (progress: FetchProgress) => void): Promise<Unlisten> {
  try {
    return await listen<FetchProgress>(FETCH_PROGRESS, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}

/** A fetch failed (for the UI's own fetches the command rejects as well). */
export async function onFetchFailed(handler: (failure: FetchFailure) => void): Promise<Unlisten> {
  try {
    return await listen<FetchFailure>(FETCH_FAILED, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}

/** A fetch ended without error: new mail or not, or cancelled. */
export async function onFetchFinished(handler: (report: FetchReport) => void): Promise<Unlisten> {
  try {
    return await listen<FetchReport>(FETCH_FINISHED, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}

/** A message entered or left the outbox, or an attempt to send one failed. */
export async function onOutboxChanged(handler: () => void): Promise<Unlisten> {
  try {
    return await listen<null>(OUTBOX_CHANGED, () => handler());
  } catch {
    return () => {};
  }
}

/** A draft was saved, deleted or sent. */
export async function onDraftsChanged(handler: () => void): Promise<Unlisten> {
  try {
    return await listen<null>(DRAFTS_CHANGED, () => handler());
  } catch {
    return () => {};
  }
}

/** Files dragged over the window ("over"), dragged away ("leave") or dropped (by path). */
export type FileDrop = { type: "over" } | { type: "leave" } | { type: "drop"; paths: string[] };

export async function onFileDrop(handler: (drop: FileDrop) => void): Promise<Unlisten> {
  try {
    const { getCurrentWebview } = await import("@tauri-apps/api/webview");
    return await getCurrentWebview().onDragDropEvent((event) => {
      const payload = event.payload;
      if (payload.type === "drop") handler({ type: "drop", paths: payload.paths });
      else if (payload.type === "leave") handler({ type: "leave" });
      else handler({ type: "over" });
    });
  } catch {
    return () => {};
  }
}

const closingHooks = new Set<() => Promise<void>>();

/** The window is about to close: `handler` finishes (e.g. saves a draft) before it does. */
export function onWindowClosing(handler: () => Promise<void>): Promise<Unlisten> {
  closingHooks.add(handler);
  return Promise.resolve(() => closingHooks.delete(handler));
}

/**
 * Takes over the window's close button for good: every `onWindowClosing` hook finishes, then the
 * shell hides the window in the tray (when the user chose that) or quits.
 */
export async function handleWindowClose(close: () => Promise<unknown>): Promise<Unlisten> {
  try {
    const { getCurrentWindow } = await import("@tauri-apps/api/window");
    return await getCurrentWindow().onCloseRequested(async (event) => {
      event.preventDefault();
      for (const hook of [...closingHooks]) {
        try {
          await hook();
        } catch {
          // A hook that fails (a draft that could not be saved says so itself) must not keep
          // the window from closing.
        }
      }
      await close();
    });
  } catch {
    return () => {};
  }
}

/** The tray, a notification or a second launch asks for something. */
export async function onDesktopRequest(handler: (request: DesktopRequest) => void): Promise<Unlisten> {
  try {
    return await listen<DesktopRequest>(DESKTOP_REQUEST, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}

/** A link in a mail was clicked (the window never follows it by itself). */
export async function onLinkRequested(handler: (url: string) => void): Promise<Unlisten> {
  try {
    return await listen<string>(LINK_REQUESTED, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}
