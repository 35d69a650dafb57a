import { describe, expect, it } from 'vitest';
import { extractHashtags, extractMentions } from '../src/text.ts';

describe('text extraction', () => {
  it('finds unicode hashtags, lower-cased and unique', () => {
    expect(extractHashtags('Café #Crème and #crème, #日本語 #2024 #a_b')).toEqual(['crème', '日本語', 'a_b']);
  });
  it('ignores tags glued to words, e-mail addresses and bare signs', () => {
    expect(extractHashtags('a#b # ## &#39;')).toEqual([]);
    expect(extractMentions('mail me at bob@example.com')).toEqual([]);
  });
  it('finds mentions with valid handles only', () => {
    expect(extractMentions('@Alice, @bo @carol_99! @dave.')).toEqual(['alice', 'carol_99', 'dave']);
    expect(extractMentions('@way_too_long_handle_here')).toEqual([]);
  });
});
