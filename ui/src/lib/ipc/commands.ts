// Typed wrappers around the Tauri commands. Every function rejects with an
// IpcError (see errors.ts), never with anything else.
import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { toIpcError } from "./errors";
import type { Account } from "./bindings/Account";
import type { AccountSettings } from "./bindings/AccountSettings";
import type { AppState } from "./bindings/AppState";
import type { ConnectionReport } from "./bindings/ConnectionReport";
import type { FetchProgress } from "./bindings/FetchProgress";
import type { FetchReport } from "./bindings/FetchReport";
import type { Folder } from "./bindings/Folder";
import type { Language } from "./bindings/Language";
import type { MessageDetail } from "./bindings/MessageDetail";
import type { MessageSummary } from "./bindings/MessageSummary";
import type { OutboxItem } from "./bindings/OutboxItem";
import type { OutgoingMessage } from "./bindings/OutgoingMessage";
import type { Passwords } from "./bindings/Passwords";
import type { SendReport } from "./bindings/SendReport";
import type { SendStarted } from "./bindings/SendStarted";
import type { TrustedCertificate } from "./bindings/TrustedCertificate";
import type { ComposeStart } from "./bindings/ComposeStart";
import type { DraftItem } from "./bindings/DraftItem";
import type { KnownAddress } from "./bindings/KnownAddress";
import type { OutgoingAttachment } from "./bindings/OutgoingAttachment";
import type { Response } from "./bindings/Response";
import type { FolderCount } from "./bindings/FolderCount";
import type { ThreadSummary } from "./bindings/ThreadSummary";
import type { UserFolder } from "./bindings/UserFolder";
import type { ViewSettings } from "./bindings/ViewSettings";
import type { SearchHit } from "./bindings/SearchHit";
import type { DesktopSettings } from "./bindings/DesktopSettings";
import type { DesktopRequest } from "./bindings/DesktopRequest";
import type { Discovery } from "./bindings/Discovery";

function insideTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

async function call<T>(command: string, args?: () => InvokeArgs): Promise<T> {
  if (!insideTauri()) {
    throw toIpcError({ kind: "internal", message: `${command}: not running inside the Dakiya window` });
  }
  try {
    // args is built lazily inside the try: creating a Channel throws outside Tauri.
    return await invoke<T>(command, args?.());
  } catch (error) {
    throw toIpcError(error);
  }
}

export function getAppState(): Promise<AppState> {
  return call("get_app_state");
}

export function setLanguage(language: Language): Promise<null> {
  return call("set_language", () => ({ language }));
}

export function saveAccount(
  accountId: number | null,
  settings: AccountSettings,
  passwords: Passwords,
): Promise<Account> {
  return call("save_account", () => ({ accountId, settings, passwords }));
}

export function testConnection(
  accountId: number | null,
  settings: AccountSettings,
  passwords: Passwords,
): Promise<ConnectionReport> {
  return call("test_connection", () => ({ accountId, settings, passwords }));
}

/** Finds a new account's POP3 and SMTP servers from its address, for the user to confirm. */
export function discoverAccount(email: string): Promise<Discovery> {
  return call("discover_account", () => ({ email }));
}

export function parseCertificate(pem: string): Promise<TrustedCertificate> {
  return call("parse_certificate", () => ({ pem }));
}

export function sendMessage(accountId: number, message: OutgoingMessage): Promise<SendStarted> {
  return call("send_message", () => ({ accountId, message }));
}

export function sendLater(accountId: number, message: OutgoingMessage, sendAt: number): Promise<string> {
  return call("send_later", () => ({ accountId, message, sendAt }));
}

export function editQueued(outboxId: number): Promise<OutgoingMessage> {
  return call("edit_queued", () => ({ outboxId }));
}

export function undoSend(outboxId: number): Promise<OutgoingMessage> {
  return call("undo_send", () => ({ outboxId }));
}

export function setUndoSendSeconds(seconds: number): Promise<null> {
  return call("set_undo_send_seconds", () => ({ seconds }));
}

export function fetchMail(
  accountId: number,
  onProgress: (progress: FetchProgress) => void,
): Promise<FetchReport> {
  return call("fetch_mail", () => {
    const channel = new Channel<FetchProgress>();
    channel.onmessage = onProgress;
    return { accountId, onProgress: channel };
  });
}

/** Stops the account's running fetch; what it committed stays. */
export function cancelFetch(accountId: number): Promise<null> {
  return call("cancel_fetch", () => ({ accountId }));
}

export function listMessages(
  folder: Folder,
  accountId: number | null,
  offset: number,
  limit: number,
): Promise<MessageSummary[]> {
  return call("list_messages", () => ({ folder, accountId, offset, limit }));
}

export function getMessage(messageId: number): Promise<MessageDetail> {
  return call("get_message", () => ({ messageId }));
}

export function getRawMessage(messageId: number): Promise<string> {
  return call("get_raw_message", () => ({ messageId }));
}

export function downloadWholeMessage(messageId: number): Promise<MessageDetail> {
  return call("download_whole_message", () => ({ messageId }));
}

export function deleteMessage(messageId: number): Promise<null> {
  return call("delete_message", () => ({ messageId }));
}

export function getOutbox(): Promise<OutboxItem[]> {
  return call("get_outbox");
}

export function sendOutboxNow(): Promise<SendReport[]> {
  return call("send_outbox_now");
}

export function respondToMessage(id: number, response: Response): Promise<ComposeStart> {
  return call("respond_to_message", () => ({ id, response }));
}

export function saveDraft(accountId: number, message: OutgoingMessage): Promise<number> {
  return call("save_draft", () => ({ accountId, message }));
}

export function getDrafts(): Promise<DraftItem[]> {
  return call("get_drafts");
}

export function openDraft(id: number): Promise<ComposeStart> {
  return call("open_draft", () => ({ id }));
}

export function deleteDraft(id: number): Promise<null> {
  return call("delete_draft", () => ({ id }));
}

export function suggestAddresses(prefix: string): Promise<KnownAddress[]> {
  return call("suggest_addresses", () => ({ prefix }));
}

/** Files dropped on the window, by path. */
export function attachFiles(paths: string[]): Promise<OutgoingAttachment[]> {
  return call("attach_files", () => ({ paths }));
}

/** Opens the desktop's file chooser; an empty list when the user cancels. */
export function chooseAttachments(): Promise<OutgoingAttachment[]> {
  return call("choose_attachments");
}

/** The SMTP server's message size limit in bytes (null: it declares none). */
export function submissionSizeLimit(accountId: number): Promise<number | null> {
  return call("submission_size_limit", () => ({ accountId }));
}

export function getFolders(): Promise<UserFolder[]> {
  return call("get_folders");
}

export function createFolder(name: string): Promise<UserFolder> {
  return call("create_folder", () => ({ name }));
}

export function renameFolder(id: number, name: string): Promise<UserFolder> {
  return call("rename_folder", () => ({ id, name }));
}

export function deleteFolder(id: number): Promise<null> {
  return call("delete_folder", () => ({ id }));
}

export function moveMessages(ids: number[], to: Folder): Promise<null> {
  return call("move_messages", () => ({ ids, to }));
}

export function copyMessages(ids: number[], to: Folder): Promise<number[]> {
  return call("copy_messages", () => ({ ids, to }));
}

/** To Trash; from Trash, for good. */
export function deleteMessages(ids: number[]): Promise<null> {
  return call("delete_messages", () => ({ ids }));
}

export function emptyTrash(): Promise<number> {
  return call("empty_trash");
}

export function setFlags(ids: number[], read: boolean | null, starred: boolean | null): Promise<null> {
  return call("set_flags", () => ({ ids, read, starred }));
}

export function getFolderCounts(): Promise<FolderCount[]> {
  return call("folder_counts");
}

export function listThreads(
  folder: Folder,
  accountId: number | null,
  offset: number,
  limit: number,
): Promise<ThreadSummary[]> {
  return call("list_threads", () => ({ folder, accountId, offset, limit }));
}

export function getConversation(id: number): Promise<MessageSummary[]> {
  return call("get_conversation", () => ({ id }));
}

export function setViewSettings(settings: ViewSettings): Promise<null> {
  return call("set_view_settings", () => ({ settings }));
}

export function setRemoteContentAllowed(address: string, allowed: boolean): Promise<null> {
  return call("set_remote_content_allowed", () => ({ address, allowed }));
}

/** Opens an http(s) link in the system browser, after the user saw where it goes. */
export function openLink(url: string): Promise<null> {
  return call("open_link", () => ({ url }));
}

/** The first list is on screen: the shell logs the time since launch. */
export function reportReady(): Promise<null> {
  return call("report_ready");
}

/** The message again, with its remote images allowed (this time only). */
export function getMessageWithRemote(messageId: number): Promise<MessageDetail> {
  return call("get_message_with_remote", () => ({ messageId }));
}

/** Asks for a folder and saves the attachment there; the path written, or null if cancelled. */
export function saveAttachment(messageId: number, index: number): Promise<string | null> {
  return call("save_attachment", () => ({ messageId, index }));
}

/** Opens the attachment with the desktop's default application. */
export function openAttachment(messageId: number, index: number): Promise<null> {
  return call("open_attachment", () => ({ messageId, index }));
}

/** The newest messages matching `query` (words, "phrases", from: to: subject: is: has:
 * before: after: in:); an older search still running is stopped (it rejects as superseded). */
export function searchMessages(query: string, limit: number): Promise<SearchHit[]> {
  return call("search_messages", () => ({ query, limit }));
}

export function setDesktopSettings(settings: DesktopSettings): Promise<null> {
  return call("set_desktop_settings", () => ({ settings }));
}

/** What the window shows, so new mail already on screen is not announced again. */
export function setViewing(showingInbox: boolean, accountId: number | null): Promise<null> {
  return call("set_viewing", () => ({ showingInbox, accountId }));
}

/** The window was closed and has saved what it needed to: the tray, or quitting. */
export function closeMainWindow(): Promise<null> {
  return call("close_main_window");
}

/** What Dakiya was started to do (a mailto: link), once. */
export function takeLaunchRequest(): Promise<DesktopRequest | null> {
  return call("take_launch_request");
}
