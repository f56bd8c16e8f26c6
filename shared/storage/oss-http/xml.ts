/**
 * A small reader for the XML documents OSS answers with (listings, multipart results, errors): elements
 * and text only. OSS documents carry no attributes the functions need, no DTDs and no mixed content, so
 * a few dozen lines replace a general parser that would cost cold-start time to load.
 */

/** An element: its name, its text (entities decoded) and its child elements in document order. */
export interface XmlNode {
  name: string;
  text: string;
  children: XmlNode[];
}

// A tag, a CDATA section, a comment, a declaration or processing instruction, or a run of text.
const TOKEN =
  /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^>]*?)?)(\/?)>|<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<[?!][\s\S]*?>|([^<]+)/g;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five named entities and numeric character references. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (_, name: string | undefined, dec: string | undefined, hex: string | undefined) =>
    name ? (NAMED[name] as string) : String.fromCodePoint(dec ? Number(dec) : Number.parseInt(hex as string, 16)),
  );
}

/** Parses a document and returns its root element. Throws a `SyntaxError` on unbalanced or missing tags. */
export function parseXml(document: string): XmlNode {
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(document); m !== null; m = TOKEN.exec(document)) {
    // Indexes, not destructuring: until this loop is optimised, destructuring walks an iterator per match.
    const closing = m[1];
    const name = m[2];
    const selfClosing = m[4];
    const cdata = m[5];
    const text = m[6];
    if (name !== undefined) {
      if (closing) {
        const open = stack.pop();
        if (open?.name !== name) throw new SyntaxError(`XML: </${name}> does not close <${open?.name ?? ''}>`);
        continue;
      }
      const node: XmlNode = { name, text: '', children: [] };
      const parent = stack.at(-1);
      if (parent) parent.children.push(node);
      else if (root) throw new SyntaxError('XML: more than one root element');
      else root = node;
      if (!selfClosing) stack.push(node);
    } else if (cdata !== undefined || text !== undefined) {
      const parent = stack.at(-1);
      if (parent) parent.text += cdata ?? decodeEntities(text as string);
      else if (text !== undefined && text.trim() !== '') throw new SyntaxError('XML: text outside the root element');
    }
  }
  if (!root || stack.length > 0)
    throw new SyntaxError(`XML: ${root ? `<${stack.at(-1)?.name}> is not closed` : 'no root element'}`);
  return root;
}

/** The first child element named `name`. */
export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** Every child element named `name`. */
export function children(node: XmlNode, name: string): XmlNode[] {
  return node.children.filter((c) => c.name === name);
}

/** The text of the first child element named `name`, or `undefined` when there is none. */
export function textOf(node: XmlNode, name: string): string | undefined {
  return child(node, name)?.text;
}

/** Escapes text for element content. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${c === '&' ? 'amp' : c === '<' ? 'lt' : c === '>' ? 'gt' : c === '"' ? 'quot' : 'apos'};`,
  );
}
