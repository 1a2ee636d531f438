// The hub's search API as the widget calls it.
export const FACETS = ["type", "source", "country", "target", "language", "year"] as const;
export type Facet = (typeof FACETS)[number];

export interface Result {
  id: string;
  title: string;
  url: string | null;
  source: string;
  type: string;
  date: string | null;
  description: string | null;
  highlights?: Record<string, string[]>;
}

export interface Page {
  total: number;
  page: number;
  size: number;
  results: Result[];
  facets: Partial<Record<Facet, Record<string, number>>>;
  /** "estimated" when the hub estimated the total and facet counts (the widget asks it to); else exact. */
  counts?: "exact" | "estimated";
}

export type Filters = Partial<Record<Facet, string[]>>;

/** The search request; ``regions`` (a centre's fixed region: M49 code, CBD group or slug) narrow it too.
 * It lets the hub estimate the counts of a search that matches many documents (``counts=estimate``). */
export function searchUrl(
  hub: string, q: string, filters: Filters, page: number, size: number, regions: string[] = [],
): string {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  for (const facet of FACETS) for (const value of filters[facet] ?? []) params.append(facet, value);
  for (const region of regions) params.append("region", region);
  params.set("page", String(page));
  params.set("size", String(size));
  params.set("counts", "estimate");
  return `${hub}/api/search?${params.toString()}`;
}

export async function search(url: string, signal: AbortSignal): Promise<Page> {
  const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as Page;
}

/** An http(s) URL, else null (never javascript:, data: ...). */
export function httpUrl(value: string | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A count as shown: an estimated one rounded to two significant digits. */
export function shownCount(n: number, estimated: boolean): number {
  if (!estimated || n < 100) return n;
  const unit = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / unit) * unit;
}
