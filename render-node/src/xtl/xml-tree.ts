import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { XtlError } from './xtl-error.js';

/**
 * A small, safe XML reader for XTL: elements with attributes, children and source lines.
 * DOCTYPE declarations and entities other than XML's five predefined ones are refused, so no
 * document can expand itself (billion laughs) or reach outside (external entities).
 */

export interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  /** Non-whitespace text directly inside the element, if any. */
  text: string;
  line: number;
  /** The line an attribute is written on (a start tag can span lines). */
  attributeLine(name: string): number;
}

const METADATA = XMLParser.getMetaDataSymbol() as unknown as symbol;
const predefinedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function decodeEntities(value: string, element: string, attribute: string, line: number): string {
  return value.replace(/&([^;&\s]*);?/g, (match, name: string) => {
    if (!match.endsWith(';')) throw new XtlError('a bare "&" must be written as &amp;', element, attribute, line);
    if (name in predefinedEntities) return predefinedEntities[name]!;
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
    if (numeric) {
      const code = numeric[1]!.startsWith('x') ? parseInt(numeric[1]!.slice(1), 16) : parseInt(numeric[1]!, 10);
      if (code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    }
    throw new XtlError(`entity &${name}; is not supported (only &amp; &lt; &gt; &quot; &apos; and numeric references)`, element, attribute, line);
  });
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

export function parseXmlTree(xml: string): XmlElement {
  const doctype = /<!(DOCTYPE|ENTITY)/i.exec(xml);
  if (doctype) {
    throw new XtlError(`<!${doctype[1]!.toUpperCase()}> declarations are not allowed in XTL`, undefined, undefined, lineAt(xml, doctype.index));
  }
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) throw new XtlError(`not well-formed XML: ${valid.err.msg}`, undefined, undefined, valid.err.line);

  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: false,
    htmlEntities: false,
    captureMetaData: true,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    commentPropName: '#comment',
    cdataPropName: '#cdata',
  });
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (error) {
    // The validator and the parser disagree on a few broken forms (an unclosed <?xml ...?>).
    throw new XtlError(`not well-formed XML: ${(error as Error).message}`, undefined, undefined, undefined);
  }

  const build = (node: OrderedNode): XmlElement => {
    const name = Object.keys(node).find((k) => k !== ':@')!;
    const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[METADATA];
    const startIndex = meta?.startIndex ?? 0;
    const line = lineAt(xml, startIndex);
    const tagEnd = xml.indexOf('>', startIndex);
    const tagSource = xml.slice(startIndex, tagEnd === -1 ? undefined : tagEnd);
    const attributeLine = (attribute: string) => {
      const at = new RegExp(`\\s${attribute.replace(/[^\w-]/g, '')}\\s*=`).exec(tagSource);
      return at ? lineAt(xml, startIndex + at.index + 1) : line;
    };
    const attributes = new Map<string, string>();
    for (const [key, value] of Object.entries(node[':@'] ?? {})) {
      attributes.set(key, decodeEntities(String(value), name, key, attributeLine(key)));
    }
    const children: XmlElement[] = [];
    let text = '';
    for (const child of (node[name] as OrderedNode[] | undefined) ?? []) {
      if ('#comment' in child) continue;
      if ('#text' in child || '#cdata' in child) {
        text += String((child['#text'] as string | undefined) ?? '').trim();
        if ('#cdata' in child) text += 'CDATA';
        continue;
      }
      children.push(build(child));
    }
    return { name, attributes, children, text, line, attributeLine };
  };

  const roots = nodes.filter((n) => !('#comment' in n) && !('#text' in n));
  if (roots.length !== 1) throw new XtlError('an XTL document has exactly one root element, <timelines>', undefined, undefined, 1);
  return build(roots[0]!);
}
