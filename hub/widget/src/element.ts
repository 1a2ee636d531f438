// <gkss-search>: search form, facets, results and paging in a shadow root; harvested text only via textContent.
import { FACETS, type Facet, type Filters, type Page, type Result, httpUrl, search, searchUrl } from "./api";
import { highlightNodes, plainText } from "./highlight";
import { type Key, type Lang, LANGS, LANG_NAMES, dirOf, langOf, t } from "./strings";
import { CSS, styleSheet } from "./styles";

const FIXED: Record<string, Facet> = {
  "filter-type": "type", "filter-source": "source", "filter-country": "country",
  "filter-target": "target", "filter-language": "language", "filter-year": "year",
};
const FACET_VALUES = 8;
const DESCRIPTION_CHARS = 300;

function el<K extends keyof HTMLElementTagNameMap>(
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
  private controller: AbortController | null = null;
  private built = false;
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

  connectedCallback(): void {
    if (!this.built) {
      this.build();
      this.built = true;
      this.query = this.getAttribute("q") ?? "";
      (this.parts.input as HTMLInputElement).value = this.query;
    }
    this.applyLanguage();
    void this.run();
  }

  disconnectedCallback(): void {
    this.controller?.abort();
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.built || old === value) return;
    if (name === "lang") {
      this.applyLanguage();
      if (this.last) this.render(this.last);
      return;
    }
    if (name === "q") (this.parts.input as HTMLInputElement).value = this.query = value ?? "";
    this.page = 1;
    void this.run();
  }

  /** Fixed filters of the attributes plus what the user chose; a fixed filter cannot be widened. */
  filters(): Filters {
    const out: Filters = {};
    for (const [attribute, facet] of Object.entries(FIXED)) {
      const fixed = words(this.getAttribute(attribute));
      const picked = this.chosen[facet] ?? [];
      const values = fixed.length ? (picked.length ? picked.filter((v) => fixed.includes(v)) : fixed) : picked;
      if (values.length) out[facet] = values;
    }
    return out;
  }

  private tr(key: Key, vars: Record<string, string | number> = {}): string {
    return t(this.lang_, key, vars);
  }

  private build(): void {
    const root = el("div", { class: "root", part: "root" });
    const form = el("form", { role: "search", part: "form" });
    const label = el("label", { for: "q" });
    const input = el("input", { id: "q", type: "search", name: "q", autocomplete: "off", part: "input" });
    const submit = el("button", { type: "submit", class: "primary", part: "button" });
    form.append(label, input, submit);
    if (this.hasAttribute("language-picker")) {
      const pickerLabel = el("label", { for: "lang", class: "picker-label" });
      const picker = el("select", { id: "lang" });
      for (const code of LANGS) picker.append(el("option", { value: code, lang: code }, LANG_NAMES[code]));
      picker.addEventListener("change", () => this.setAttribute("lang", picker.value));
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
    const status = el("p", { class: "status", role: "status", "aria-live": "polite", part: "status" });
    const body = el("div", { class: "body" });
    const facets = el("section", { class: "facets", part: "facets" });
    const results = el("ol", { class: "results", part: "results" });
    body.append(facets, results);
    const nav = el("nav", { part: "pager" });
    const previous = el("button", { type: "button", class: "previous" });
    const where = el("span", { class: "where" });
    const next = el("button", { type: "button", class: "next" });
    previous.addEventListener("click", () => this.turn(-1));
    next.addEventListener("click", () => this.turn(1));
    nav.append(previous, where, next);
    root.append(form, status, body, nav);
    this.shadow.append(root);
    Object.assign(this.parts, { root, label, input, submit, status, facets, results, nav, previous, where, next });
  }

  private applyLanguage(): void {
    this.lang_ = langOf(this.getAttribute("lang") ?? document.documentElement.lang);
    const p = this.parts;
    p.root.setAttribute("lang", this.lang_);
    p.root.setAttribute("dir", dirOf(this.lang_));
    p.label.textContent = this.tr("label");
    p.input.setAttribute("placeholder", this.tr("placeholder"));
    p.submit.textContent = this.tr("search");
    p.facets.setAttribute("aria-label", this.tr("filters"));
    p.previous.textContent = this.tr("previous");
    p.next.textContent = this.tr("next");
    if (p.picker) {
      (p.picker as HTMLSelectElement).value = this.lang_;
      p.pickerLabel.textContent = this.tr("language");
    }
  }

  private turn(step: number): void {
    this.page = Math.max(1, this.page + step);
    void this.run();
  }

  private toggle(facet: Facet, value: string): void {
    const current = this.chosen[facet] ?? [];
    this.chosen[facet] = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
    this.page = 1;
    void this.run();
  }

  private async run(): Promise<void> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.setAttribute("aria-busy", "true");
    this.parts.status.textContent = this.tr("loading");
    try {
      const regions = words(this.getAttribute("filter-region")); // the hub matches the region or its countries
      const url = searchUrl(this.hub, this.query, this.filters(), this.page, this.pageSize, regions);
      const page = await search(url, controller.signal);
      if (controller.signal.aborted) return;
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
    p.status.textContent =
      page.total === 0 ? this.tr("none") : page.total === 1 ? this.tr("result") : this.tr("results", { n: page.total });
    this.renderFacets(page);
    p.results.replaceChildren(...page.results.map((result) => this.renderResult(result)));
    const pages = Math.max(1, Math.ceil(page.total / page.size));
    p.where.textContent = this.tr("page", { p: page.page, n: pages });
    (p.previous as HTMLButtonElement).disabled = page.page <= 1;
    (p.next as HTMLButtonElement).disabled = page.page >= pages;
  }

  private renderFacets(page: Page): void {
    const groups: HTMLElement[] = [];
    for (const facet of FACETS) {
      const counts = Object.entries(page.facets[facet] ?? {}).slice(0, FACET_VALUES);
      const picked = this.chosen[facet] ?? [];
      for (const value of picked) if (!counts.some(([v]) => v === value)) counts.push([value, 0]);
      if (!counts.length) continue;
      const heading = el("h3", { id: `facet-${facet}` }, this.tr(facet));
      const list = el("ul", { "aria-labelledby": `facet-${facet}` });
      for (const [value, count] of counts) {
        const button = el("button", {
          type: "button", "aria-pressed": String(picked.includes(value)), "data-facet": facet, "data-value": value,
        });
        const shown = facet === "language" ? languageName(value, this.lang_) : value;
        button.append(el("span", { class: "value" }, shown), el("span", { class: "count" }, String(count)));
        button.addEventListener("click", () => this.toggle(facet, value));
        const item = el("li");
        item.append(button);
        list.append(item);
      }
      const group = el("div", { class: "facet" });
      group.append(heading, list);
      groups.push(group);
    }
    // keep keyboard focus on the facet button that was pressed
    const active = this.shadow.activeElement as HTMLElement | null;
    const key = active?.dataset.facet ? `${active.dataset.facet}\u0000${active.dataset.value}` : null;
    this.parts.facets.replaceChildren(...groups);
    if (key) {
      for (const button of this.parts.facets.querySelectorAll<HTMLButtonElement>("button[data-facet]")) {
        if (`${button.dataset.facet}\u0000${button.dataset.value}` === key) button.focus();
      }
    }
  }

  private renderResult(result: Result): HTMLElement {
    const item = el("li", { class: "result", "data-id": result.id });
    const heading = el("h3", { dir: "auto" }); // harvested text keeps its own direction
    const link = el("a", { href: httpUrl(result.url) ?? this.recordUrl(result.id), rel: "noopener noreferrer" });
    const title = (result.highlights?.title ?? [])[0];
    if (title && plainText(title) === result.title) link.append(...highlightNodes(title));
    else link.textContent = result.title;
    heading.append(link);
    const meta = el("p", { class: "meta" }, [result.type, result.date, result.source].filter(Boolean).join(" · "));
    item.append(heading, meta);
    const snippet = (result.highlights?.description ?? [])[0];
    if (snippet) {
      const desc = el("p", { class: "desc", dir: "auto" });
      desc.append(...highlightNodes(snippet));
      item.append(desc);
    } else if (result.description) {
      const text = result.description.length > DESCRIPTION_CHARS
        ? `${result.description.slice(0, DESCRIPTION_CHARS)}…` : result.description;
      item.append(el("p", { class: "desc", dir: "auto" }, text));
    }
    const record = el("a", { href: this.recordUrl(result.id), class: "record" }, this.tr("record"));
    item.append(record);
    return item;
  }

  private recordUrl(id: string): string {
    return `${this.hub}/resources/${encodeURIComponent(id)}`;
  }
}

/** A language code's name in the interface language (the browser's CLDR data); the code when unknown. */
function languageName(code: string, lang: string): string {
  try {
    return new Intl.DisplayNames([lang], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}
