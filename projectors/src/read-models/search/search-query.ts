import { extractHashtags, extractMentions } from '@chirp/domain/text';

/**
 * A search query, split the way the search read model matches it: `#tag` and `@handle` terms
 * (optionally negated with `-`) against the tweet's extracted hashtags and mentions — exactly,
 * not as words — and everything else as text with `websearch_to_tsquery` semantics ("quoted
 * phrases", -exclusions, `or`). Pure: the SQL is in reader.ts.
 */
export interface SearchQuery {
  /** The words, for websearch_to_tsquery; '' when the query is tags only. */
  readonly text: string;
  readonly hashtags: { readonly include: readonly string[]; readonly exclude: readonly string[] };
  readonly mentions: { readonly include: readonly string[]; readonly exclude: readonly string[] };
}

export class EmptySearchError extends Error {
  constructor() {
    super('the query has no words, hashtags or mentions to search for');
    this.name = 'EmptySearchError';
  }
}

// A tag term is a whole whitespace-separated token outside quotes: "-#tag", "#tag", "@handle".
const tagToken = /^(-?)([#@])(\S+)$/u;

export function parseSearchQuery(raw: string): SearchQuery {
  const hashtags = { include: [] as string[], exclude: [] as string[] };
  const mentions = { include: [] as string[], exclude: [] as string[] };
  const words: string[] = [];
  // Quoted phrases pass through whole (a '#' inside a phrase is text).
  for (const token of raw.match(/"[^"]*"?|\S+/gu) ?? []) {
    const tag = token.startsWith('"') ? null : tagToken.exec(token);
    if (tag) {
      const [, minus, sigil, rest] = tag;
      const found = sigil === '#' ? extractHashtags(`#${rest}`) : extractMentions(`@${rest}`);
      // "#rust," or "@bob." : the extractors drop trailing punctuation; anything else is text.
      if (found.length === 1) {
        const target = sigil === '#' ? hashtags : mentions;
        (minus ? target.exclude : target.include).push(found[0]!);
        continue;
      }
    }
    words.push(token);
  }
  const text = words.join(' ').trim();
  if (text === '' && hashtags.include.length === 0 && mentions.include.length === 0) throw new EmptySearchError();
  return { text, hashtags, mentions };
}
