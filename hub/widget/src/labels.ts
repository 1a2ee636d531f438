// Names of facet values (types, countries, GBF targets, languages, sources) in the interface language,
// from the hub's vocabularies (/embed/labels); the code stays when the hub knows no name.
export type Labels = Record<string, Record<string, string>>;

const cache = new Map<string, Promise<Labels>>();

export function loadLabels(hub: string, lang: string): Promise<Labels> {
  const key = `${hub}\u0000${lang}`;
  let found = cache.get(key);
  if (!found) {
    found = fetch(`${hub}/embed/labels?lang=${encodeURIComponent(lang)}`, { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? (r.json() as Promise<Labels>) : {}))
      .catch(() => ({}));
    cache.set(key, found);
  }
  return found;
}

export function label(labels: Labels, facet: string, value: string): string {
  return labels[facet]?.[value] ?? value;
}
