// Events pushed by the shell. Listening never throws: outside Tauri (plain
// `vite dev`) there are simply no events.
import { listen } from "@tauri-apps/api/event";
import type { FetchReport } from "./bindings/FetchReport";

export type Unlisten = () => void;

export const MAIL_ARRIVED = "mail-arrived";

/** Called after any fetch that stored new mail. */
export async function onMailArrived(handler: (report: FetchReport) => void): Promise<Unlisten> {
  try {
    return await listen<FetchReport>(MAIL_ARRIVED, (event) => handler(event.payload));
  } catch {
    return () => {};
  }
}
