/** Text helpers shared by the answers and the terminal. Imports nothing of ours. */

/** One line of at most `max` characters, cut at a word boundary with an ellipsis when it is longer. */
export function cutAtWord(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const room = line.slice(0, Math.max(1, max - 1));
  const space = room.lastIndexOf(' ');
  const cut = space >= max / 2 ? room.slice(0, space) : room;
  return `${cut.replace(/[\s,;:.\-–—]+$/, '')}…`;
}
