// Application-wide state (Svelte 5 runes) and the actions that change it.
// Views read `app` directly; only this module and the views call lib/ipc.
import { getLanguage, setLanguage, type MessageKey, type Params } from "./i18n";
import {
  fetchMail,
  getAppState,
  onFetchFailed,
  onFetchProgress,
  onMailArrived,
  setLanguage as saveLanguage,
  type Account,
  type AppState,
  type IpcError,
  type Language,
} from "./ipc";

export type View = "inbox" | "settings" | "compose";

export type Banner = { context: MessageKey; params?: Params; error: IpcError };

export type FetchState = { accountId: number; current: number; total: number };

export const app = $state({
  /** null until get_app_state answered (or when it failed). */
  state: null as AppState | null,
  started: false,
  view: "inbox" as View,
  /** Set while a fetch runs. */
  fetch: null as FetchState | null,
  /** New messages found by the last completed round of fetches. */
  lastNewMessages: null as number | null,
  banner: null as Banner | null,
  /** Bumped whenever the inbox must reload (new mail arrived). */
  inboxGeneration: 0,
});

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

let fetching = false;
let fetchAgain = false;

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
      let found = 0;
      for (const account of [...accounts()]) {
        app.fetch = { accountId: account.id, current: 0, total: 0 };
        // Progress may be delivered after the command answered: ignore it then.
        let finished = false;
        try {
          const report = await fetchMail(account.id, (progress) => {
            if (!finished) app.fetch = { ...progress };
          });
          finished = true;
          found += report.newMessages;
          if (report.newMessages > 0) app.inboxGeneration += 1;
        } catch (error) {
          finished = true;
          showError("context.fetch", error as IpcError, { account: account.email });
        }
      }
      app.lastNewMessages = found;
    } while (fetchAgain);
  } finally {
    app.fetch = null;
    fetching = false;
  }
}

/** Loads the app state, picks the first screen and checks mail once. */
export async function start(): Promise<void> {
  void onMailArrived(() => {
    app.inboxGeneration += 1;
  });
  // Scheduled checks run in the background; show their progress and failures too. The UI's
  // own fetches report through their command instead.
  void onFetchProgress((progress) => {
    if (fetching) return;
    app.fetch = progress.current < progress.total ? { ...progress } : null;
  });
  void onFetchFailed((failure) => {
    if (fetching) return;
    const account = accounts().find((a) => a.id === failure.accountId);
    showError("context.fetch", failure.error, { account: account?.email ?? "" });
  });
  try {
    const state = await getAppState();
    app.state = state;
    setLanguage(state.language);
    app.view = state.accounts.length === 0 ? "settings" : "inbox";
  } catch (error) {
    app.view = "settings";
    showError("context.startup", error as IpcError);
  }
  app.started = true;
  if (accounts().length > 0) await getMail();
}

/** The message being written; kept here so switching views does not lose it. */
export const draft = $state({ accountId: null as number | null, to: "", cc: "", subject: "", body: "" });

export function clearDraft(): void {
  draft.to = "";
  draft.cc = "";
  draft.subject = "";
  draft.body = "";
}
