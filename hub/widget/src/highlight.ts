// Highlight fragments arrive as HTML: text escaped, matched words in <em>. Rebuilt as text nodes and <mark>s.
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

const TAG = /<\/?[a-z][^<>]*>/gi;

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** The fragment as nodes: never parsed as HTML, only split on the <em> markers the hub writes. */
export function highlightNodes(fragment: string): Node[] {
  const nodes: Node[] = [];
  const parts = fragment.split(/(<em>|<\/em>)/);
  let marked = false;
  for (const part of parts) {
    if (part === "<em>") marked = true;
    else if (part === "</em>") marked = false;
    else if (part) {
      const text = decodeEntities(part).replace(TAG, ""); // harvested HTML shows as its text
      if (marked) {
        const mark = document.createElement("mark");
        mark.textContent = text;
        nodes.push(mark);
      } else nodes.push(document.createTextNode(text));
    }
  }
  return nodes;
}

export function plainText(fragment: string): string {
  return decodeEntities(fragment.replace(/<\/?em>/g, ""));
}

/** Harvested HTML (tags, entities, HTML escaped twice) as plain text, never parsed as HTML: tags and the
content of script and style elements dropped, entities decoded; the result only ever goes to textContent. */
export function htmlToText(value: string): string {
  let text = value;
  for (let pass = 0; pass < 2 && /[<&]/.test(text); pass++) {
    text = decodeEntities(text.replace(HIDDEN, " ").replace(ANY_TAG, (tag) => (BLOCK.test(tag) ? " " : "")));
  }
  return text.replace(/\s+/g, " ").trim();
}

const HIDDEN = /<(script|style|template)\b[^]*?<\/\1\s*>/gi;
const ANY_TAG = /<\/?[a-z!][^<>]*>/gi;
const BLOCK = /^<\/?(p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|hr)\b/i;
