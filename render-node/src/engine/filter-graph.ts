/**
 * Builds an ffmpeg filtergraph as text: chains of filters between labelled pads. Values that
 * come from users (text, paths) go through `quoteFilterValue`.
 */
export class FilterGraph {
  private readonly chains: string[] = [];
  private counter = 0;

  /** A fresh pad label. */
  label(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  /** `[in1][in2]filter1,filter2[out]`; with no filters the input passes through unchanged. */
  chain(inputs: readonly string[], filters: readonly string[], output: string, kind: 'video' | 'audio' | 'source' = 'video'): string {
    const body = filters.length > 0 ? filters.join(',') : kind === 'audio' ? 'anull' : 'null';
    this.chains.push(`${inputs.map((i) => `[${i}]`).join('')}${body}[${output}]`);
    return output;
  }

  toString(): string {
    return this.chains.join(';\n');
  }
}

/**
 * Quotes a value for a filter option inside a filtergraph: escaped once for the option parser
 * and once more for the graph parser, so `:`, `,`, `'`, `[` and `\` stay literal.
 */
export function quoteFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}
