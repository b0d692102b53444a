/**
 * Why an XTL document was refused: always names the element, and the attribute and line where
 * they are known, so that an editor can point at the mistake.
 */
export class XtlError extends Error {
  constructor(
    readonly reason: string,
    readonly element: string | undefined,
    readonly attribute: string | undefined,
    readonly line: number | undefined,
  ) {
    super(describe(reason, element, attribute, line));
    this.name = 'XtlError';
  }
}

function describe(reason: string, element?: string, attribute?: string, line?: number): string {
  const where = [element ? `<${element}>` : undefined, attribute ? `attribute "${attribute}"` : undefined, line ? `line ${line}` : undefined]
    .filter(Boolean)
    .join(', ');
  return where ? `XTL error at ${where}: ${reason}` : `XTL error: ${reason}`;
}
