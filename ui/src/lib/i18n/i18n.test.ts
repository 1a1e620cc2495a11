/// <reference types="node" />
// `npm run check:i18n`: the two catalogues have the same keys and placeholders,
// every key the source uses exists, and every key is used somewhere.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import hi from "./hi.json";

const catalogs: Record<string, Record<string, string>> = { en, hi };
const srcDir = fileURLToPath(new URL("../..", import.meta.url));

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "bindings" ? [] : sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith(".test.ts") ? [path] : [];
  });
}

// The desktop shell's tray and notifications take their sentences from these catalogues too
// (src-tauri/src/words.rs): its sources count as users of keys.
const shellDir = fileURLToPath(new URL("../../../../src-tauri/src", import.meta.url));
const shellFiles = readdirSync(shellDir)
  .filter((name) => name.endsWith(".rs"))
  .map((name) => ({ path: `src-tauri/src/${name}`, text: readFileSync(join(shellDir, name), "utf8") }));

const files = [
  ...sourceFiles(srcDir).map((path) => ({ path: relative(srcDir, path), text: readFileSync(path, "utf8") })),
  ...shellFiles,
];
const keys = new Set(Object.keys(en));
const pluralBases = new Set([...keys].filter((k) => k.endsWith(".one")).map((k) => k.slice(0, -".one".length)));

// The shell's calls: words::text(language, "key") and words::count(language, "base", n).
const shellTextCalls = shellFiles.flatMap(({ path, text }) =>
  [...text.matchAll(/words::text\(\s*\w+,\s*"([^"]+)"/g)].map((m) => ({ path, key: m[1] })),
);
const shellCountCalls = shellFiles.flatMap(({ path, text }) =>
  [...text.matchAll(/words::count\(\s*\w+,\s*"([^"]+)"/g)].map((m) => ({ path, key: m[1] })),
);
// Calls: t("key"…) and tn("base"…).
const tCalls = files.flatMap(({ path, text }) =>
  [...text.matchAll(/\bt\(\s*["'`]([^"'`]+)["'`]/g)].map((m) => ({ path, key: m[1] })),
);
const tnCalls = files.flatMap(({ path, text }) =>
  [...text.matchAll(/\btn\(\s*["'`]([^"'`]+)["'`]/g)].map((m) => ({ path, key: m[1] })),
);
// Every string literal that looks like a key (covers lookup tables such as errors.ts).
const literals = new Set(files.flatMap(({ text }) => [...text.matchAll(/["'`]([a-zA-Z0-9]+(?:\.[a-zA-Z0-9]+)+)["'`]/g)].map((m) => m[1])));

describe("i18n catalogues", () => {
  it("en.json and hi.json have the same keys", () => {
    expect(Object.keys(hi).sort()).toEqual(Object.keys(en).sort());
  });

  it("every key has the same placeholders in both languages", () => {
    const mismatched = Object.keys(en).filter(
      (key) => JSON.stringify(placeholders(en[key as keyof typeof en])) !== JSON.stringify(placeholders(hi[key as keyof typeof hi] ?? "")),
    );
    expect(mismatched).toEqual([]);
  });

  it("no message is empty", () => {
    for (const [lang, catalog] of Object.entries(catalogs)) {
      const empty = Object.entries(catalog).filter(([, v]) => v.trim() === "").map(([k]) => `${lang}:${k}`);
      expect(empty).toEqual([]);
    }
  });

  it("every plural has both forms", () => {
    for (const base of pluralBases) expect(keys.has(`${base}.other`), `${base}.other`).toBe(true);
  });

  it("every key used by t() exists", () => {
    expect(tCalls.length).toBeGreaterThan(20);
    const missing = tCalls.filter(({ key }) => !keys.has(key)).map(({ path, key }) => `${path}: ${key}`);
    expect(missing).toEqual([]);
  });

  it("every key the desktop shell uses exists", () => {
    expect(shellTextCalls.length).toBeGreaterThan(3);
    const missing = [
      ...shellTextCalls.filter(({ key }) => !keys.has(key)),
      ...shellCountCalls.filter(({ key }) => !pluralBases.has(key)),
    ].map(({ path, key }) => `${path}: ${key}`);
    expect(missing).toEqual([]);
  });

  it("every plural used by tn() exists", () => {
    const missing = tnCalls.filter(({ key }) => !pluralBases.has(key)).map(({ path, key }) => `${path}: ${key}`);
    expect(missing).toEqual([]);
  });

  it("every key is used somewhere", () => {
    const unused = [...keys].filter((key) => {
      if (literals.has(key)) return false;
      const plural = key.match(/^(.*)\.(one|other)$/);
      return !(plural && literals.has(plural[1]));
    });
    expect(unused).toEqual([]);
  });
});
