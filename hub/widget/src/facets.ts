// The facet groups: values by count (years newest first), the top ones, then "show all" and a filter box.
import { FACETS, type Facet, type Page, shownCount } from "./api";
import type { GkssSearch } from "./element";

const TOP = 8;
const FILTER_BOX_FROM = 12;

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: Record<string, string> = {}, text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A facet's values as a visitor looks for them: by count (ties by name), years by recency. */
export function orderedValues(facet: Facet, counts: Record<string, number>): [string, number][] {
  const entries = Object.entries(counts);
  if (facet === "year") return entries.sort((a, b) => (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
  return entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function renderFacets(widget: GkssSearch, page: Page): HTMLElement[] {
  const groups: HTMLElement[] = [];
  const estimated = page.counts === "estimated";
  for (const facet of FACETS) {
    const counts = orderedValues(facet, page.facets[facet] ?? {});
    const picked = widget.picked(facet);
    for (const value of picked) if (!counts.some(([v]) => v === value)) counts.unshift([value, 0]);
    if (!counts.length || (widget.fixed(facet) && counts.length < 2)) continue;
    const open = widget.expanded.has(facet);
    const shown = open ? counts : counts.filter(([v], i) => i < TOP || picked.includes(v));
    const heading = make("h3", { id: `facet-${facet}` }, widget.tr(facet));
    const list = make("ul", { "aria-labelledby": `facet-${facet}`, id: `values-${facet}` });
    for (const [value, count] of shown) {
      const name = widget.name(facet, value);
      const button = make("button", {
        type: "button", "aria-pressed": String(picked.includes(value)), "data-facet": facet, "data-value": value,
        "data-key": `v:${facet}:${value}`, title: name === value ? value : `${name} (${value})`,
      });
      const text = make("span", { class: "value", dir: "auto" });
      const english = widget.english(value); // the vocabulary has English short titles only
      if (english && name !== english && name.endsWith(english)) {
        text.append(name.slice(0, -english.length), make("span", { lang: "en" }, english));
      } else text.textContent = name;
      const label = estimated && count ? `~${shownCount(count, true)}` : String(count); // "~": estimated
      button.append(text, make("span", { class: "count" }, label));
      button.addEventListener("click", () => widget.toggle(facet, value));
      const item = make("li");
      item.append(button);
      list.append(item);
    }
    const group = make("div", { class: "facet", "data-facet-group": facet });
    group.append(heading);
    if (open && counts.length >= FILTER_BOX_FROM) {
      const box = make("input", {
        type: "search", class: "facet-filter", "aria-label": `${widget.tr("filter_values")}: ${widget.tr(facet)}`,
        placeholder: widget.tr("filter_values"), "aria-controls": `values-${facet}`, "data-key": `f:${facet}`,
      });
      box.addEventListener("input", () => {
        const wanted = box.value.trim().toLowerCase();
        for (const item of list.children) {
          const text = (item.textContent ?? "").toLowerCase();
          (item as HTMLElement).hidden = Boolean(wanted) && !text.includes(wanted);
        }
      });
      group.append(box);
    }
    group.append(list);
    if (counts.length > TOP) {
      const more = make(
        "button",
        { type: "button", class: "more", "aria-expanded": String(open), "aria-controls": `values-${facet}`,
          "data-key": `m:${facet}` },
        open ? widget.tr("less") : widget.tr("more", { n: counts.length }),
      );
      more.addEventListener("click", () => widget.expand(facet, !open));
      group.append(more);
    }
    groups.push(group);
  }
  return groups;
}
