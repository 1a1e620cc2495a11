// Dates for the message list and the message view, in the UI language.
import type { Language } from "./ipc";

function localeOf(language: Language): string {
  return language === "hi" ? "hi-IN" : "en-GB";
}

function sameDay(a: Date, b: Date): boolean {
  return (
    a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()
  );
}

/** Short date for a list row: time only for today, day + month this year, else the full date. */
export function formatListDate(seconds: number | null, language: Language, now: Date = new Date()): string {
  if (seconds === null) return "";
  const date = new Date(seconds * 1000);
  const locale = localeOf(language);
  if (sameDay(date, now)) {
    return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(date);
  }
  if (date.getFullYear() === now.getFullYear()) {
    return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short" }).format(date);
  }
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric" }).format(date);
}

/** Full date and time for the message view. */
export function formatFullDate(seconds: number | null, language: Language): string {
  if (seconds === null) return "";
  return new Intl.DateTimeFormat(localeOf(language), { dateStyle: "full", timeStyle: "short" }).format(
    new Date(seconds * 1000),
  );
}

/** A byte count as people read it: "820 KB", "1.4 MB" (decimal units, as file managers show). */
export function formatBytes(bytes: number, language: Language): string {
  const locale = language === "hi" ? "hi-IN" : "en-GB";
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: units[unit],
    unitDisplay: "short",
    maximumFractionDigits: value < 10 && unit > 0 ? 1 : 0,
  }).format(value);
}
