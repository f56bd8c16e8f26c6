import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { OssErrors } from './errors';

/** An XML element to render: text content, child elements, or nothing (`<Name/>`). */
export interface XmlElement {
  name: string;
  text?: string;
  children?: XmlElement[];
}

type Child = XmlElement | undefined | false | null;

/**
 * Builds an element. Strings, numbers and booleans become text; an array becomes child elements (falsy
 * entries are skipped, so optional elements can be written inline with `cond && el(...)`).
 */
export function el(name: string, content?: string | number | boolean | Child[]): XmlElement {
  if (content === undefined) return { name };
  if (Array.isArray(content)) return { name, children: content.filter((c): c is XmlElement => Boolean(c)) };
  return { name, text: String(content) };
}

// Only markup characters are escaped. Control characters in keys are written as they are, as OSS does:
// XML 1.0 has no form for them (not even character references, which ali-oss's parser refuses), and
// ali-oss and browsers read them back exactly, so keys holding them round-trip without encoding-type=url.
const NEEDS_ESCAPE = /[&<>"']/;
const ESCAPES = /[&<>"']/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attribute values. Most keys need nothing: checked first, cheaply. */
export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(ESCAPES, (c) => ENTITY[c]!);
}

/** Renders a document with OSS's declaration. Compact: OSS bodies are machine-read. */
export function renderXml(root: XmlElement): string {
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  write(root, parts);
  return parts.join('');
}

function write(node: XmlElement, out: string[]): void {
  if (node.children !== undefined) {
    out.push(`<${node.name}>`);
    for (const child of node.children) write(child, out);
    out.push(`</${node.name}>`);
  } else if (node.text !== undefined && node.text !== '') {
    out.push(`<${node.name}>${escapeXml(node.text)}</${node.name}>`);
  } else {
    out.push(`<${node.name}></${node.name}>`);
  }
}

/** A parsed element: text for leaves, an object of children otherwise; repeated children become arrays. */
export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Keep every value a string and keep surrounding spaces: an object key may start or end with a space.
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
});

/**
 * Parses a request body. Anything that is not one well-formed element (or that declares a DTD, which
 * could expand entities without bound) is OSS's 400 MalformedXML.
 */
export function parseXml(body: string): XmlObject {
  if (body.trim() === '' || /<!DOCTYPE/i.test(body) || XMLValidator.validate(body) !== true)
    throw OssErrors.malformedXml();
  const parsed = parser.parse(body) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Object.keys(parsed as object).length === 0)
    throw OssErrors.malformedXml();
  return parsed as XmlObject;
}

/** The child named `name` of an element, or undefined; a leaf's whitespace-only text counts as absent children. */
export function child(node: XmlValue | undefined, name: string): XmlValue | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  return node[name];
}

/** Every child named `name`, whether it appeared once or many times. */
export function children(node: XmlValue | undefined, name: string): XmlValue[] {
  const value = child(node, name);
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The text of a leaf child; `undefined` when missing; throws MalformedXML when it has element children. */
export function text(node: XmlValue | undefined, name: string): string | undefined {
  const value = child(node, name);
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) throw OssErrors.malformedXml();
  // An element with only whitespace and no children parses as {'#text': ...}.
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '#text' && typeof value['#text'] === 'string') return value['#text'];
  if (keys.length === 0) return '';
  throw OssErrors.malformedXml();
}
