// UI strings in the six UN languages; one file shared with the hub's server-side pages.
import table from "../../web/strings.json";

export type Lang = "ar" | "zh" | "en" | "fr" | "ru" | "es";
export type Key = keyof (typeof table)["en"];
export const LANGS: readonly Lang[] = ["ar", "zh", "en", "fr", "ru", "es"];
export const LANG_NAMES: Record<Lang, string> = {
  ar: "العربية", zh: "中文", en: "English", fr: "Français", ru: "Русский", es: "Español",
};

export function langOf(value: string | null): Lang {
  const code = (value || "en").slice(0, 2).toLowerCase();
  return (LANGS as readonly string[]).includes(code) ? (code as Lang) : "en";
}

export function dirOf(lang: Lang): "rtl" | "ltr" {
  return lang === "ar" ? "rtl" : "ltr";
}

export function t(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  const text: string = table[lang][key] ?? table.en[key];
  return text.replace(/\{(\w+)\}/g, (_m, name: string) => String(vars[name] ?? ""));
}
