// Translations. Keys are flat ("settings.save"), placeholders are {name}.
// A plural is a pair of keys "<base>.one" / "<base>.other", chosen with
// Intl.PluralRules for the current language (see tn()).
import en from "./en.json";
import hi from "./hi.json";
import type { Language } from "../ipc/bindings/Language";
import { applyLanguage, currentLanguage } from "./language.svelte";

export type MessageKey = keyof typeof en;
export type PluralKey = MessageKey extends infer K
  ? K extends `${infer Base}.one`
    ? Base
    : never
  : never;
export type Params = Record<string, string | number>;

const catalogs: Record<Language, Record<MessageKey, string>> = { en, hi };

export const languages: readonly Language[] = ["en", "hi"];

export function isLanguage(value: unknown): value is Language {
  return value === "en" || value === "hi";
}

export function getLanguage(): Language {
  return currentLanguage();
}

export function setLanguage(language: Language): void {
  applyLanguage(language);
}

/** The locale used for dates and plural rules. */
export function locale(language: Language = currentLanguage()): string {
  return language === "hi" ? "hi-IN" : "en-GB";
}

export function format(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** A count as the language writes it: 1,234 in English, 1,23,456 in Hindi (hi-IN). */
export function formatNumber(value: number, language: Language = currentLanguage()): string {
  return new Intl.NumberFormat(locale(language)).format(value);
}

export function t(key: MessageKey, params?: Params): string {
  const language = currentLanguage();
  const template = catalogs[language][key] ?? catalogs.en[key] ?? key;
  if (params === undefined) return format(template);
  const shown: Params = {};
  for (const [name, value] of Object.entries(params)) {
    shown[name] = typeof value === "number" ? formatNumber(value, language) : value;
  }
  return format(template, shown);
}

/** Plural form: tn("fetch.newMessages", 3) → "3 new messages". `count` is passed as {count}. */
export function tn(base: PluralKey, count: number, params: Params = {}): string {
  const category = new Intl.PluralRules(locale()).select(count);
  const key = (category === "one" ? `${base}.one` : `${base}.other`) as MessageKey;
  return t(key, { ...params, count });
}
