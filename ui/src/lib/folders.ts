// Folders as the UI compares, labels and counts them. Kept free of Svelte so it is unit-tested.
import type { Folder, FolderCount, UserFolder } from "./ipc";

/** One string per folder, for keys and comparisons ("inbox", "user:3"). */
export function folderKey(folder: Folder): string {
  return typeof folder === "string" ? folder : `user:${folder.user}`;
}

export function sameFolder(a: Folder, b: Folder): boolean {
  return folderKey(a) === folderKey(b);
}

/** Unread (and total) messages in a folder, for one account or all of them. */
export function countIn(
  counts: FolderCount[],
  folder: Folder,
  accountId: number | null,
): { total: number; unread: number } {
  let total = 0;
  let unread = 0;
  for (const count of counts) {
    if (!sameFolder(count.folder, folder)) continue;
    if (accountId !== null && count.accountId !== accountId) continue;
    total += count.total;
    unread += count.unread;
  }
  return { total, unread };
}

/** The user folder's name, or null for the fixed folders (they are named by the catalogue). */
export function userFolderName(folder: Folder, folders: UserFolder[]): string | null {
  if (typeof folder === "string") return null;
  return folders.find((f) => f.id === folder.user)?.name ?? null;
}
