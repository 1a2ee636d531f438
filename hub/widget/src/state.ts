// The search as a URL: query, facet picks, page and language, so a search can be shared, bookmarked and
// walked with Back and Forward (the portal's <gkss-search url-state>).
import { FACETS, type Filters } from "./api";

export interface SearchState {
  q: string;
  page: number;
  filters: Filters;
  lang: string | null;
}

export function readState(search: string): SearchState {
  const params = new URLSearchParams(search);
  const filters: Filters = {};
  for (const facet of FACETS) {
    const values = params.getAll(facet).filter(Boolean);
    if (values.length) filters[facet] = values;
  }
  const page = parseInt(params.get("page") ?? "1", 10);
  return {
    q: (params.get("q") ?? "").trim(),
    page: Number.isFinite(page) && page > 0 ? page : 1,
    filters,
    lang: params.get("lang"),
  };
}

export function writeState(state: SearchState): string {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const facet of FACETS) for (const value of state.filters[facet] ?? []) params.append(facet, value);
  if (state.page > 1) params.set("page", String(state.page));
  if (state.lang) params.set("lang", state.lang);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The same search in another language: the links of the page's language switch. */
export function withLang(search: string, lang: string): string {
  const params = new URLSearchParams(search);
  params.set("lang", lang);
  return `?${params.toString()}`;
}
