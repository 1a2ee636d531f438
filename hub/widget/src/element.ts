// <gkss-search>: search form, facets, results and paging in a shadow root; harvested text only via textContent.
import {
  FACETS, type Facet, type Filters, type Page, type Result, httpUrl, search, searchUrl, shownCount,
} from "./api";
import { renderFacets } from "./facets";
import { highlightNodes, htmlToText, plainText } from "./highlight";
import { type Labels, label, loadLabels } from "./labels";
import { readState, withLang, writeState } from "./state";
import { type Key, type Lang, LANGS, LANG_NAMES, dirOf, langOf, t } from "./strings";
import { CSS, styleSheet } from "./styles";

const FIXED: Record<string, Facet> = {
  "filter-type": "type", "filter-source": "source", "filter-country": "country",
  "filter-target": "target", "filter-language": "language", "filter-year": "year",
};
const DESCRIPTION_CHARS = 300;
const SUGGEST_AFTER_MS = 150;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: Partial<Record<string, string>> = {}, text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function words(value: string | null): string[] {
  return (value ?? "").split(/[\s,]+/).filter(Boolean);
}

export class GkssSearch extends HTMLElement {
  static observedAttributes = ["lang", "hub", "page-size", "q", "filter-region", ...Object.keys(FIXED)];

  private readonly shadow: ShadowRoot;
  private lang_: Lang = "en";
  private query = "";
  private page = 1;
  private chosen: Filters = {};
  private last: Page | null = null;
  private labels: Labels = {};
  private controller: AbortController | null = null;
  private suggestTimer = 0;
  private built = false;
  readonly expanded = new Set<Facet>(); // facets showing all their values
  private readonly parts: Record<string, HTMLElement> = {};

  constructor() {
    super();
    this.shadow = this.attachShadow({ mode: "open" });
    const sheet = styleSheet();
    if (sheet) this.shadow.adoptedStyleSheets = [sheet];
    else this.shadow.append(el("style", {}, CSS));
  }

  get hub(): string {
    const given = this.getAttribute("hub");
    const base = given ? new URL(given, document.baseURI).href : new URL("/", document.baseURI).href;
    return base.replace(/\/+$/, "");
  }

  get pageSize(): number {
    const size = parseInt(this.getAttribute("page-size") ?? "10", 10);
    return Number.isFinite(size) ? Math.min(100, Math.max(1, size)) : 10;
  }

  /** The portal's mode: the search lives in the page's URL (shareable, Back and Forward). */
  get urlState(): boolean {
    return this.hasAttribute("url-state");
  }

  connectedCallback(): void {
    if (!this.built) {
      this.build();
      this.built = true;
      this.query = this.getAttribute("q") ?? "";
      if (this.urlState) {
        this.adopt(location.search);
        window.addEventListener("popstate", this.onPopState);
      }
      (this.parts.input as HTMLInputElement).value = this.query;
    }
    this.applyLanguage();
    void this.run(false);
  }

  disconnectedCallback(): void {
    this.controller?.abort();
    window.removeEventListener("popstate", this.onPopState);
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.built || old === value) return;
    if (name === "lang") {
      this.applyLanguage();
      void this.relabel();
      return;
    }
    if (name === "q") (this.parts.input as HTMLInputElement).value = this.query = value ?? "";
    this.page = 1;
    void this.run();
  }

  private readonly onPopState = (): void => {
    this.adopt(location.search);
    (this.parts.input as HTMLInputElement).value = this.query;
    keepSearchInLinks();
    void this.run(false);
  };

  private adopt(query: string): void {
    const state = readState(query);
    this.query = state.q;
    this.page = state.page;
    this.chosen = state.filters;
  }

  /** Fixed filters of the attributes plus what the user chose; a fixed filter cannot be widened. */
  filters(): Filters {
    const out: Filters = {};
    for (const facet of FACETS) {
      const attribute = Object.keys(FIXED).find((name) => FIXED[name] === facet) ?? "";
      const fixed = words(this.getAttribute(attribute));
      const picked = this.chosen[facet] ?? [];
      const values = fixed.length ? (picked.length ? picked.filter((v) => fixed.includes(v)) : fixed) : picked;
      if (values.length) out[facet] = values;
    }
    return out;
  }

  picked(facet: Facet): string[] {
    return this.chosen[facet] ?? [];
  }

  fixed(facet: Facet): boolean {
    const attribute = Object.keys(FIXED).find((name) => FIXED[name] === facet) ?? "";
    return words(this.getAttribute(attribute)).length > 0;
  }

  tr(key: Key, vars: Record<string, string | number> = {}): string {
    return t(this.lang_, key, vars);
  }

  name(facet: string, value: string): string {
    return label(this.labels, facet, value);
  }

  /** The English short title ending a GBF goal's or target's name in another language (to mark lang="en"). */
  english(value: string): string | undefined {
    return this.labels.en_title?.[value];
  }

  private build(): void {
    const root = el("div", { class: "root", part: "root" });
    const form = el("form", { role: "search", part: "form" });
    const label_ = el("label", { for: "q" });
    const input = el("input", {
      id: "q", type: "search", name: "q", autocomplete: "off", part: "input", list: "suggestions",
    });
    const suggestions = el("datalist", { id: "suggestions" });
    const submit = el("button", { type: "submit", class: "primary", part: "button" });
    form.append(label_, input, suggestions, submit);
    if (this.hasAttribute("language-picker")) {
      const pickerLabel = el("label", { for: "lang", class: "picker-label" });
      const picker = el("select", { id: "lang" });
      for (const code of LANGS) picker.append(el("option", { value: code, lang: code }, LANG_NAMES[code]));
      picker.addEventListener("change", () => this.switchLanguage(picker.value));
      const box = el("div", { class: "picker" });
      box.append(pickerLabel, picker);
      form.append(box);
      Object.assign(this.parts, { picker, pickerLabel });
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.query = input.value.trim();
      this.page = 1;
      void this.run();
    });
    input.addEventListener("input", () => this.suggestSoon(input.value));
    const status = el("p", { class: "status", role: "status", "aria-live": "polite", part: "status" });
    const toolbar = el("div", { class: "toolbar" });
    const drawerButton = el("button", {
      type: "button", class: "drawer-button", "aria-expanded": "false", "aria-controls": "facets",
    });
    drawerButton.addEventListener("click", () => this.drawer(drawerButton.getAttribute("aria-expanded") !== "true"));
    const clear = el("button", { type: "button", class: "clear", hidden: "" });
    clear.addEventListener("click", () => this.clearFilters());
    toolbar.append(drawerButton, clear);
    const empty = el("div", { class: "empty", hidden: "" });
    const body = el("div", { class: "body" });
    const facets = el("section", { class: "facets", part: "facets", id: "facets", "aria-labelledby": "facets-title" });
    const facetsTitle = el("h2", { id: "facets-title" }); // the facets' headings (h3) follow a level 2
    const facetList = el("div", { class: "facet-list" });
    const close = el("button", { type: "button", class: "drawer-close" });
    close.addEventListener("click", () => this.drawer(false));
    facets.append(close, facetsTitle, facetList);
    facets.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && facets.classList.contains("open")) this.drawer(false);
    });
    const results = el("ol", { class: "results", part: "results", "aria-labelledby": "results-title" });
    const resultsTitle = el("h2", { id: "results-title", class: "sr" }); // the results' h3 follow a level 2
    body.append(facets, resultsTitle, results);
    const nav = el("nav", { part: "pager" });
    const previous = el("button", { type: "button", class: "previous" });
    const where = el("span", { class: "where" });
    const next = el("button", { type: "button", class: "next" });
    previous.addEventListener("click", () => this.turn(-1));
    next.addEventListener("click", () => this.turn(1));
    nav.append(previous, where, next);
    root.append(form, status, toolbar, empty, body, nav);
    this.shadow.append(root);
    Object.assign(this.parts, {
      root, label: label_, input, suggestions, submit, status, toolbar, drawerButton, clear, empty, facets,
      facetsTitle, facetList, close, resultsTitle, results, nav, previous, where, next,
    });
  }

  private applyLanguage(): void {
    this.lang_ = langOf(this.getAttribute("lang") ?? document.documentElement.lang);
    const p = this.parts;
    p.root.setAttribute("lang", this.lang_);
    p.root.setAttribute("dir", dirOf(this.lang_));
    p.label.textContent = this.tr("label");
    p.input.setAttribute("placeholder", this.tr("placeholder"));
    p.submit.textContent = this.tr("search");
    p.facetsTitle.textContent = this.tr("filters");
    p.resultsTitle.textContent = this.tr("results_heading");
    p.previous.textContent = this.tr("previous");
    p.next.textContent = this.tr("next");
    p.clear.textContent = this.tr("clear");
    p.close.textContent = this.tr("close");
    this.drawerLabel();
    if (p.picker) {
      (p.picker as HTMLSelectElement).value = this.lang_;
      p.pickerLabel.textContent = this.tr("language");
    }
  }

  private switchLanguage(lang: string): void {
    if (this.urlState) {
      location.assign(withLang(location.search, lang)); // the whole page, server-rendered in that language
      return;
    }
    this.setAttribute("lang", lang);
  }

  private async relabel(): Promise<void> {
    this.labels = await loadLabels(this.hub, this.lang_);
    if (this.last) this.render(this.last);
  }

  private drawer(open: boolean): void {
    const p = this.parts;
    p.facets.classList.toggle("open", open);
    p.drawerButton.setAttribute("aria-expanded", String(open));
    if (open) (p.close as HTMLButtonElement).focus();
    else p.drawerButton.focus();
  }

  private drawerLabel(): void {
    const count = FACETS.reduce((n, facet) => n + this.picked(facet).length, 0);
    this.parts.drawerButton.textContent = count ? `${this.tr("show_filters")} (${count})` : this.tr("show_filters");
  }

  private suggestSoon(typed: string): void {
    window.clearTimeout(this.suggestTimer);
    const prefix = typed.trim();
    if (prefix.length < 2) return;
    this.suggestTimer = window.setTimeout(() => void this.suggest(prefix), SUGGEST_AFTER_MS);
  }

  private async suggest(prefix: string): Promise<void> {
    try {
      const url = `${this.hub}/api/suggest?q=${encodeURIComponent(prefix)}&size=8`;
      const answer = (await (await fetch(url, { headers: { Accept: "application/json" } })).json()) as {
        suggestions?: string[];
      };
      const options = (answer.suggestions ?? []).map((text) => el("option", { value: text }));
      this.parts.suggestions.replaceChildren(...options);
    } catch {
      // completion is a help, never an error
    }
  }

  private turn(step: number): void {
    this.page = Math.max(1, this.page + step);
    void this.run();
  }

  toggle(facet: Facet, value: string): void {
    const current = this.chosen[facet] ?? [];
    this.chosen[facet] = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    this.page = 1;
    void this.run();
  }

  expand(facet: Facet, on: boolean): void {
    if (on) this.expanded.add(facet);
    else this.expanded.delete(facet);
    if (this.last) this.renderFacetGroups(this.last);
  }

  private clearFilters(): void {
    this.chosen = {};
    this.page = 1;
    void this.run();
  }

  /** Record the search in the page's URL: a new history entry for a user's step, none for a reload. */
  private remember(push: boolean): void {
    if (!this.urlState) return;
    const lang = new URLSearchParams(location.search).get("lang");
    const target = writeState({ q: this.query, page: this.page, filters: this.chosen, lang }) || location.pathname;
    const now = location.search || location.pathname;
    if (target !== now && !(target === location.pathname && !location.search)) {
      if (push) history.pushState(null, "", target);
      else history.replaceState(null, "", target);
    }
    keepSearchInLinks();
  }

  private async run(push = true): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.setAttribute("aria-busy", "true");
    this.parts.status.textContent = this.tr("loading");
    this.remember(push);
    try {
      const regions = words(this.getAttribute("filter-region")); // the hub matches the region or its countries
      const url = searchUrl(this.hub, this.query, this.filters(), this.page, this.pageSize, regions);
      const [page, labels] = await Promise.all([
        search(url, controller.signal),
        loadLabels(this.hub, this.lang_),
      ]);
      if (controller.signal.aborted) return;
      this.labels = labels;
      this.last = page;
      this.render(page);
      this.dispatchEvent(new CustomEvent("gkss-results", { detail: { total: page.total, page: page.page } }));
    } catch (error) {
      if (controller.signal.aborted) return;
      this.parts.status.textContent = `${this.tr("error")} (${(error as Error).message})`;
    } finally {
      if (this.controller === controller) this.removeAttribute("aria-busy");
    }
  }

  private render(page: Page): void {
    const p = this.parts;
    const estimated = page.counts === "estimated";
    const n = estimated ? shownCount(page.total, true).toLocaleString(this.lang_) : page.total;
    p.status.textContent =
      page.total === 0 ? this.tr("none") : page.total === 1 ? this.tr("result")
        : this.tr(estimated ? "about_results" : "results", { n });
    const picks = FACETS.some((facet) => this.picked(facet).length > 0);
    p.clear.hidden = !picks;
    this.drawerLabel();
    this.renderEmpty(page, picks);
    this.renderFacetGroups(page);
    p.results.replaceChildren(...page.results.map((result) => this.renderResult(result)));
    const pages = Math.max(1, Math.ceil(page.total / page.size));
    p.nav.hidden = pages <= 1 && page.page <= 1;
    p.where.textContent = this.tr("page", { p: page.page, n: pages });
    (p.previous as HTMLButtonElement).disabled = page.page <= 1;
    (p.next as HTMLButtonElement).disabled = page.page >= pages;
  }

  /** What to do when nothing is found: other words or fewer filters; on an empty hub, how to fill it. */
  private renderEmpty(page: Page, picks: boolean): void {
    const box = this.parts.empty;
    box.hidden = page.total > 0;
    if (page.total > 0) return;
    const children: HTMLElement[] = [];
    if (this.query || picks) {
      children.push(el("p", {}, this.tr("no_match")));
      if (picks) {
        const clear = el("button", { type: "button", class: "clear-all" }, this.tr("clear"));
        clear.addEventListener("click", () => this.clearFilters());
        children.push(clear);
      }
    } else {
      children.push(el("p", { class: "empty-hub" }, this.tr("empty_hub")));
      if (this.urlState) {
        const help = el("p");
        help.append(el("a", { href: `${this.hub}/admin` }, this.tr("add_source")));
        children.push(help, el("p", { class: "seed" }, this.tr("start_cbd")));
      }
    }
    box.replaceChildren(...children);
  }

  private renderFacetGroups(page: Page): void {
    // keep keyboard focus on the control that was used
    const active = this.shadow.activeElement as HTMLElement | null;
    const key = active?.dataset.key ?? null;
    this.parts.facetList.replaceChildren(...renderFacets(this, page));
    if (key) this.parts.facetList.querySelector<HTMLElement>(`[data-key="${CSS_escape(key)}"]`)?.focus();
  }

  private renderResult(result: Result): HTMLElement {
    const item = el("li", { class: "result", "data-id": result.id });
    const heading = el("h3", { dir: "auto" }); // harvested text keeps its own direction
    const link = el("a", { href: httpUrl(result.url) ?? this.recordUrl(result.id), rel: "noopener noreferrer" });
    const title = (result.highlights?.title ?? [])[0];
    if (title && plainText(title) === result.title) link.append(...highlightNodes(title));
    else link.textContent = htmlToText(result.title);
    heading.append(link);
    const meta = el(
      "p",
      { class: "meta" },
      [result.type ? this.name("type", result.type) : null, result.date, this.name("source", result.source)]
        .filter(Boolean)
        .join(" · "),
    );
    item.append(heading, meta);
    const snippet = (result.highlights?.description ?? [])[0];
    if (snippet) {
      const desc = el("p", { class: "desc", dir: "auto" });
      desc.append(...highlightNodes(snippet));
      item.append(desc);
    } else if (result.description) {
      const plain = htmlToText(result.description);
      const text = plain.length > DESCRIPTION_CHARS ? `${plain.slice(0, DESCRIPTION_CHARS)}…` : plain;
      if (text) item.append(el("p", { class: "desc", dir: "auto" }, text));
    }
    const record = el("a", { href: this.recordUrl(result.id), class: "record" }, this.tr("record"));
    item.append(record);
    return item;
  }

  private recordUrl(id: string): string {
    return `${this.hub}/resources/${encodeURIComponent(id)}?lang=${this.lang_}`;
  }
}

function CSS_escape(value: string): string {
  return globalThis.CSS?.escape ? globalThis.CSS.escape(value) : value.replace(/["\\]/g, "\\$&");
}

/** The page's language links (``a[data-keep-search]``) lead to this same search in their language. */
function keepSearchInLinks(): void {
  for (const link of document.querySelectorAll<HTMLAnchorElement>("a[data-keep-search][hreflang]")) {
    link.href = `${location.pathname}${withLang(location.search, link.hreflang)}`;
  }
}
