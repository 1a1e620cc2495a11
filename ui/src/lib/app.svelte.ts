// Application-wide state (Svelte 5 runes) and the actions that change it.
// Views read `app` directly; only this module and the views call lib/ipc.
import { getLanguage, setLanguage, type MessageKey, type Params } from "./i18n";
import { parseMailto } from "./mailto";
import {
  cancelFetch,
  fetchMail,
  getAppState,
  onFetchFailed,
  onFetchFinished,
  onFetchProgress,
  onMailArrived,
  onOutboxChanged,
  getOutbox,
  getFolderCounts,
  reportReady,
  getFolders,
  onDraftsChanged,
  setViewSettings,
  saveAccount,
  setLanguage as saveLanguage,
  setUndoSendSeconds,
  setDesktopSettings,
  setViewing,
  closeMainWindow,
  takeLaunchRequest,
  handleWindowClose,
  onDesktopRequest,
  type Account,
  type DesktopRequest,
  type DesktopSettings,
  type Theme,
  type AppState,
  type FetchProgress,
  type IpcError,
  type Language,
  type Folder,
  type FolderCount,
  type OutgoingAttachment,
  type UserFolder,
  type ViewSettings,
  type OutgoingMessage,
} from "./ipc";

export type View = "mail" | "outbox" | "drafts" | "settings" | "compose";

/** The folder the mail view shows, for one account or (null) all of them. */
export type Mailbox = { folder: Folder; accountId: number | null };

export type Banner = { context: MessageKey; params?: Params; error: IpcError };

export type FetchState = FetchProgress;

export const app = $state({
  /** null until get_app_state answered (or when it failed). */
  state: null as AppState | null,
  started: false,
  view: "mail" as View,
  mailbox: { folder: "inbox", accountId: null } as Mailbox,
  /** The user's own folders, by name. */
  folders: [] as UserFolder[],
  /** Total and unread messages per folder and account. */
  counts: [] as FolderCount[],
  /** Bumped to put the keyboard focus in the search field ("/"). */
  searchFocus: 0,
  /** Set while a fetch runs. */
  fetch: null as FetchState | null,
  /** New messages found by the last completed round of fetches. */
  lastNewMessages: null as number | null,
  /** The last round was cancelled by the user. */
  lastCancelled: false,
  banner: null as Banner | null,
  /** Bumped whenever the inbox must reload (new mail arrived). */
  inboxGeneration: 0,
  /** Bumped when a copy or move has landed, so a list opened meanwhile shows it. */
  foldersGeneration: 0,
  /** Messages waiting in the outbox (the Outbox view keeps the list itself). */
  outboxCount: 0,
  /** Bumped whenever the outbox changed. */
  outboxGeneration: 0,
  /** Bumped whenever a draft was saved, deleted or sent. */
  draftsGeneration: 0,
  /** Bumped when the composer is filled from elsewhere (reply, draft, edit). */
  composeGeneration: 0,
  /** A POP3 server refused the password (or none is known): ask for it. */
  passwordPrompt: null as { accountId: number; error: IpcError } | null,
  /** A message to open once the list shows it (a notification was clicked). */
  openMessageId: null as number | null,
});

/** Only a refused or missing password is worth asking for; a busy or broken server is not. */
export function needsPassword(error: IpcError): boolean {
  return error.kind === "auth" || error.reason === "passwordMissing";
}

/** A fetch failed: ask for the password when that is what is wrong, else say what happened. */
function fetchFailed(accountId: number, error: IpcError): void {
  if (needsPassword(error)) {
    // One question at a time; a background check failing again must not replace it.
    if (app.passwordPrompt === null) app.passwordPrompt = { accountId, error };
    return;
  }
  const account = accounts().find((a) => a.id === accountId);
  showError("context.fetch", error, { account: account?.email ?? "" });
}

/** Saves the POP3 password the user typed (keyring, or memory) and gets mail again. */
export async function submitPassword(password: string): Promise<void> {
  const prompt = app.passwordPrompt;
  if (prompt === null) return;
  const account = accounts().find((a) => a.id === prompt.accountId);
  if (account === undefined) {
    app.passwordPrompt = null;
    return;
  }
  const { id, ...settings } = account;
  const saved = await saveAccount(id, settings, { pop3: password, smtp: "" });
  upsertAccount(saved);
  app.passwordPrompt = null;
  // Not awaited: if this password is refused too, the next prompt must be usable at once.
  void getMail();
}

export function dismissPasswordPrompt(): void {
  app.passwordPrompt = null;
}

export function showError(context: MessageKey, error: IpcError, params?: Params): void {
  app.banner = { context, params, error };
}

export function dismissError(): void {
  app.banner = null;
}

export function accounts(): Account[] {
  return app.state?.accounts ?? [];
}

export function accountLabel(account: Account): string {
  return account.displayName ? `${account.displayName} <${account.email}>` : account.email;
}

export function upsertAccount(account: Account): void {
  if (app.state === null) return;
  const list = app.state.accounts;
  const index = list.findIndex((a) => a.id === account.id);
  if (index >= 0) list[index] = account;
  else list.push(account);
}

export async function changeLanguage(language: Language): Promise<void> {
  if (language === getLanguage()) return;
  setLanguage(language);
  if (app.state !== null) app.state.language = language;
  try {
    await saveLanguage(language);
  } catch (error) {
    showError("context.language", error as IpcError);
  }
}

/** The "undo send" delay; an invalid entry is refused with the engine's sentence. */
export async function changeUndoSend(seconds: number): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 0) return;
  try {
    await setUndoSendSeconds(seconds);
    if (app.state !== null) app.state.undoSendSeconds = seconds;
  } catch (error) {
    showError("context.undoSend", error as IpcError);
  }
}

let fetching = false;
let fetchAgain = false;
let cancelRound = false;

/** The Cancel button: stops the running fetch and the rest of this round. */
export async function cancelGetMail(): Promise<void> {
  const running = app.fetch;
  if (running === null) return;
  cancelRound = true;
  fetchAgain = false;
  try {
    await cancelFetch(running.accountId);
  } catch (error) {
    showError("context.fetch", error as IpcError, { account: "" });
  }
}

/**
 * Fetches mail for every account, one after the other. A request made while a
 * round runs is queued (one more round afterwards), never dropped.
 */
export async function getMail(): Promise<void> {
  if (fetching) {
    fetchAgain = true;
    return;
  }
  fetching = true;
  try {
    do {
      fetchAgain = false;
      cancelRound = false;
      let found = 0;
      for (const account of [...accounts()]) {
        if (cancelRound) break;
        app.fetch = { accountId: account.id, current: 0, total: 0, bytesDone: 0, bytesTotal: 0, stored: 0 };
        // Progress may be delivered after the command answered: ignore it then.
        let finished = false;
        try {
          const report = await fetchMail(account.id, (progress) => {
            if (!finished) showProgress(progress);
          });
          finished = true;
          found += report.newMessages;
          if (report.newMessages > 0) app.inboxGeneration += 1;
        } catch (error) {
          finished = true;
          fetchFailed(account.id, error as IpcError);
        }
      }
      app.lastNewMessages = found;
      app.lastCancelled = cancelRound;
    } while (fetchAgain);
  } finally {
    app.fetch = null;
    fetching = false;
  }
}

/** Shows a fetch's progress; each newly committed batch is listed at once, not at the end. */
function showProgress(progress: FetchProgress): void {
  const before = app.fetch?.accountId === progress.accountId ? app.fetch.stored : 0;
  app.fetch = { ...progress };
  if (progress.stored > before) app.inboxGeneration += 1;
}

/** Loads the app state, picks the first screen and checks mail once. */
export async function start(): Promise<void> {
  void onMailArrived(() => {
    app.inboxGeneration += 1;
    void refreshCounts();
  });
  void onOutboxChanged(() => {
    app.outboxGeneration += 1;
    void refreshOutboxCount();
  });
  void refreshOutboxCount();
  void onDraftsChanged(() => {
    app.draftsGeneration += 1;
  });
  // Scheduled checks run in the background; show their progress and failures too. The UI's
  // own fetches report through their command instead.
  void onFetchProgress((progress) => {
    if (fetching) return;
    showProgress(progress);
  });
  void onFetchFinished((report) => {
    if (fetching) return;
    app.fetch = null;
    app.lastNewMessages = report.newMessages;
    app.lastCancelled = report.cancelled;
  });
  void onFetchFailed((failure) => {
    if (fetching) return;
    app.fetch = null;
    fetchFailed(failure.accountId, failure.error);
  });
  void handleWindowClose(closeMainWindow);
  void onDesktopRequest(handleDesktopRequest);
  try {
    const state = await getAppState();
    app.state = state;
    setLanguage(state.language);
    applyTheme(state.desktop.theme);
    app.view = state.accounts.length === 0 ? "settings" : "mail";
    void refreshFolders();
  } catch (error) {
    app.view = "settings";
    showError("context.startup", error as IpcError);
  }
  app.started = true;
  try {
    const launched = await takeLaunchRequest();
    if (launched !== null) handleDesktopRequest(launched);
  } catch {
    // Nothing was asked at launch, or the shell is not there (plain `vite dev`).
  }
  if (accounts().length > 0) await getMail();
}

/** Does what the tray, a clicked notification or a second launch asked for. */
export function handleDesktopRequest(request: DesktopRequest): void {
  switch (request.type) {
    case "getMail":
      void getMail();
      break;
    case "compose":
      composeFromMailto(request.mailto);
      break;
    case "openMessage":
      openMailbox("inbox", null);
      app.openMessageId = request.id;
      break;
    case "openInbox":
      openMailbox("inbox", null);
      break;
  }
}

/** A new message, filled in from a mailto: URL (RFC 6068) when there is one. */
export function composeFromMailto(mailto: string | null): void {
  const accountId = accounts()[0]?.id;
  if (accountId === undefined) {
    app.view = "settings";
    return;
  }
  const fields = mailto === null ? null : parseMailto(mailto);
  clearDraft();
  composeWith(accountId, {
    to: fields?.to ?? "",
    cc: fields?.cc ?? "",
    bcc: fields?.bcc ?? "",
    subject: fields?.subject ?? "",
    body: fields?.body ?? "",
    fromAddress: "",
    inReplyTo: null,
    references: [],
    attachments: [],
    draftId: null,
  });
}

/** Tells the shell whether an inbox is on screen, so its new mail is not announced again. */
export function reportViewing(): void {
  const showingInbox = app.view === "mail" && app.mailbox.folder === "inbox";
  void setViewing(showingInbox, app.mailbox.accountId).catch(() => {
    // Only a hint for notifications; outside the shell there is nothing to tell.
  });
}

/** Light or dark colours: chosen, or the desktop's (the page follows prefers-color-scheme). */
export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}

export async function changeDesktopSettings(change: Partial<DesktopSettings>): Promise<void> {
  if (app.state === null) return;
  const settings = { ...app.state.desktop, ...change };
  app.state.desktop = settings;
  applyTheme(settings.theme);
  try {
    await setDesktopSettings(settings);
  } catch (error) {
    showError("context.desktopSettings", error as IpcError);
  }
}

export async function refreshOutboxCount(): Promise<void> {
  try {
    app.outboxCount = (await getOutbox()).length;
  } catch {
    // The count is a hint; the Outbox view reports errors itself.
  }
}

/** The message being written; kept here so switching views does not lose it. */
export const draft = $state({
  accountId: null as number | null,
  to: "",
  cc: "",
  bcc: "",
  subject: "",
  body: "",
  /** The identity to send as; "" is the account's own address. */
  fromAddress: "",
  inReplyTo: null as string | null,
  references: [] as string[],
  attachments: [] as OutgoingAttachment[],
  /** The saved draft being edited (autosave), once there is one. */
  draftId: null as number | null,
});

export function clearDraft(): void {
  draft.to = "";
  draft.cc = "";
  draft.bcc = "";
  draft.subject = "";
  draft.body = "";
  draft.fromAddress = "";
  draft.inReplyTo = null;
  draft.references = [];
  draft.attachments = [];
  draft.draftId = null;
}

/** The composer's fields as the engine takes them. */
export function draftMessage(): OutgoingMessage {
  return {
    to: draft.to.trim(),
    cc: draft.cc.trim(),
    bcc: draft.bcc.trim(),
    subject: draft.subject,
    body: draft.body,
    fromAddress: draft.fromAddress,
    inReplyTo: draft.inReplyTo,
    references: [...draft.references],
    attachments: draft.attachments.map((a) => ({ ...a, source: { ...a.source } })),
    draftId: draft.draftId,
  };
}

/** Opens the composer with these fields (a reply, a forward, a draft, a message taken back). */
export function composeWith(accountId: number, message: OutgoingMessage): void {
  draft.accountId = accountId;
  draft.to = message.to;
  draft.cc = message.cc;
  draft.bcc = message.bcc;
  draft.subject = message.subject;
  draft.body = message.body;
  draft.fromAddress = message.fromAddress;
  draft.inReplyTo = message.inReplyTo;
  draft.references = [...message.references];
  draft.attachments = [...message.attachments];
  draft.draftId = message.draftId;
  app.composeGeneration += 1;
  app.view = "compose";
}

/** Shows a folder (for one account, or all with null). */
export function openMailbox(folder: Folder, accountId: number | null = null): void {
  app.mailbox = { folder, accountId };
  app.view = "mail";
}

export async function refreshCounts(): Promise<void> {
  try {
    app.counts = await getFolderCounts();
  } catch {
    // Counts are a hint; the lists report their own errors.
  }
}

export async function refreshFolders(): Promise<void> {
  try {
    app.folders = await getFolders();
  } catch (error) {
    showError("context.folders", error as IpcError);
  }
  await refreshCounts();
}

export async function changeViewSettings(change: Partial<ViewSettings>): Promise<void> {
  if (app.state === null) return;
  const settings = { ...app.state.view, ...change };
  app.state.view = settings;
  try {
    await setViewSettings(settings);
  } catch (error) {
    showError("context.viewSettings", error as IpcError);
  }
}

let readyReported = false;

/** Called when a list is first on screen: the window is usable. Once per run. */
export function windowReady(): void {
  if (readyReported) return;
  readyReported = true;
  void reportReady().catch(() => {});
}
