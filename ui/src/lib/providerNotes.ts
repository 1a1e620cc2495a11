import type { ProviderNote } from "./ipc";

/** A provider note in `language`, else the file's default (or English) text, else any. */
export function noteText(note: ProviderNote, language: string): string {
  const pick =
    note.texts.find((text) => text.lang === language) ??
    note.texts.find((text) => text.lang === null || text.lang === "en") ??
    note.texts[0];
  return pick?.text ?? "";
}
