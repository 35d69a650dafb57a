import { InvalidArgumentError } from 'commander';
import { eventTypes, isEventType, type EventType } from '@chirp/domain/events';

/**
 * Parsers for option values, run by commander while it reads the command line: a bad value is
 * refused before anything is opened, with commander's one-line "option … argument … is invalid"
 * message and exit code 2.
 */

/** A global position: a non-negative safe integer (positions are exact JS numbers up to 2^53). */
export function parsePosition(text: string): number {
  // Digits only: Number() would also accept "1e3", "0x10", " 7 " and "", which are typos here.
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('must be a non-negative integer');
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`must be at most ${Number.MAX_SAFE_INTEGER}`);
  return value;
}

/** A positive integer no larger than `max`, e.g. a page size. */
export function positiveIntegerAtMost(max: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new InvalidArgumentError(`must be an integer from 1 to ${max}`);
    return Number(text);
  };
}

/**
 * Event types, checked against the domain's catalogue so a typo fails loudly instead of exporting
 * nothing. Accepts repeated options and comma-separated lists; commander hands each value over
 * with what was collected so far, and a custom parser has to do the collecting itself.
 */
export function collectEventTypes(text: string, previous: readonly EventType[] | undefined): EventType[] {
  const collected = [...(previous ?? [])];
  for (const name of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!isEventType(name)) throw new InvalidArgumentError(unknownTypeMessage(name));
    if (!collected.includes(name)) collected.push(name);
  }
  return collected;
}

function unknownTypeMessage(name: string): string {
  // Event types are PascalCase; "tweetposted" is far more likely a typo than a new type.
  const sameLetters = eventTypes.find((t) => t.toLowerCase() === name.toLowerCase());
  const hint = sameLetters ? ` (did you mean ${sameLetters}?)` : '';
  return `unknown event type ${name}${hint}; valid types: ${eventTypes.join(', ')}`;
}

/** A stream id: any non-empty text (streams are named by the domain, e.g. tweet-<id>). */
export function parseStreamId(text: string): string {
  if (text.trim() === '') throw new InvalidArgumentError('must not be empty');
  return text;
}
