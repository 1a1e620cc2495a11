// The UI language as Svelte 5 state: anything that calls t() during render
// (templates, $derived) re-runs when it changes.
import type { Language } from "../ipc/bindings/Language";

let current = $state<Language>("en");

export function currentLanguage(): Language {
  return current;
}

export function applyLanguage(language: Language): void {
  current = language;
  if (typeof document !== "undefined") {
    document.documentElement.lang = language;
  }
}
